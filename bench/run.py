"""Tribune load benchmark: `make bench` (= `.venv/bin/python bench/run.py`) writes bench/RESULTS.md.

One run measures everything issue 7 asks, with wrk at 32 connections on 127.0.0.1:

- data: for each size (10 000 and 1 000 000 posts by default) and database (a SQLite file
  under bench/.work/, and a database in a throwaway PostgreSQL cluster started as the suite
  does, tests/servers.py), `python -m forum migrate` then `python -m forum seed` (the forum
  body in topics of ~50 posts, then one long topic whose last page is the deep page);
- Tribune under `uvicorn --factory forum.app:create_app --workers N` (N = 1, 2), logged in
  through the real form: topic page 1, a deep topic page, the topic list, search (a rotation
  of representative queries, plus each query alone on one connection for its latency),
  posting (replies with a valid CSRF token from several members, flood limits off), and the
  moderation queue as a moderator at a short and a long queue;
- the ceiling: bench/bare_app.py serving a byte copy of topic page 1, same uvicorn settings;
- the peer: Spirit (PyPI `django-spirit`) in its own virtual environment under bench/.work,
  seeded with the same number of comments from the same Markdown texts, served by gunicorn
  (sync workers, N = 1, 2), its topic page 1 loaded as a logged-in user and anonymously.

Writes go to the seeded databases and are removed afterwards (the posts the bench added,
the queue items it opened), so `--reuse-db` keeps measuring the data as seeded. Every
server and cluster started here is stopped here, on errors and Ctrl-C too.

    .venv/bin/python bench/run.py --reuse-db                  # everything (make bench: same, fresh seeds)
    .venv/bin/python bench/run.py --quick                     # 10k, SQLite, 1 worker, no peer
    .venv/bin/python bench/run.py --sizes 10000 --databases postgresql --workers 2 --cases topic,search
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(ROOT))  # tests.servers: the suite's throwaway PostgreSQL cluster

import loadgen  # noqa: E402
import peer_spirit  # noqa: E402
import report  # noqa: E402
from loadgen import HOST, Load, Result, Server, log  # noqa: E402

APP_ROOT = ROOT  # the checkout whose `forum` is seeded and served (--app-root: a patched copy)
WORK = BENCH / ".work"
SEED_PASSWORD = "seed-password-not-for-production"  # forum/seed.py's
SEED_FEDERATIONS = 30
POSTS_PER_TOPIC = 50  # forum body: README's 1 000 000 posts / 20 000 topics
MEMBERS_PER_POST = 1 / 20  # README's 50 000 members for 1 000 000 posts
LONG_TOPIC_POSTS = 2000  # the long topic: 100 pages of 20
MODERATOR_EMAIL = "bench-moderator@tribune.example"
POSTERS = 8  # members posting at once
POST_TOPICS = 16  # topics they reply to (never the measured topic or topic list)
QUEUE_SHORT = 50  # two full pages of 25: the page shows as many rows as at 10 000
QUEUE_LONG = 10_000
QUEUE_MARK = "bench-queue-item"
SEARCH_ROUNDS = 12
CASES = ("topic", "list", "search", "post", "queue")
# The representative queries, one of each shape, in the seed's Zipf-distributed French (forum/seed.py;
# shares of the posts: campagne ~30 %, budget ~19 % and logement ~25 % (both ~6 %), "logement social"
# ~3 %, démocr… ~31 %; "Théo Fortin" is one member at both sizes: forum.seed.member_name(103)). See
# bench/SEARCH.md.
SEARCHES: list[tuple[str, dict[str, str]]] = [
    ("very common word", {"q": "campagne"}),
    ("two common words", {"q": "budget logement"}),
    ("phrase of two words", {"q": '"logement social"'}),
    ("partial word (prefix démocr)", {"q": "démocr"}),
    ("common word + category", {"q": "campagne", "categorie": "{category}"}),
    ("common word + author", {"q": "campagne", "auteur": "Théo Fortin"}),
    ("absent word", {"q": "ornithorynque"}),
]
FLOOD_OFF = {"TRIBUNE_SECONDS_BETWEEN_POSTS": "0", "TRIBUNE_TOPICS_PER_DAY": "0", "TRIBUNE_EDITS_PER_HOUR": "0",
             "TRIBUNE_NOTES_PER_DAY": "0", "TRIBUNE_REPORTS_PER_HOUR": "0", "TRIBUNE_INVITATIONS_PER_DAY": "0"}
DB_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Dataset:
    posts: int
    database: str  # sqlite | postgresql
    url: str
    db_path: Path | None = None
    seed_seconds: float = 0.0
    seed_note: str = ""
    members: int = 0
    topics: int = 0
    long_posts: int = 0
    mid_topic: int = 0
    long_topic: int = 0
    long_pages: int = 0
    category_slug: str = ""
    login_email: str = ""
    poster_emails: list[str] = field(default_factory=list)
    post_topics: list[int] = field(default_factory=list)
    db_bytes: int = 0

    @property
    def label(self) -> str:
        return DB_LABEL[self.database]


def seed_plan(posts: int) -> tuple[int, int, int, int]:
    """(members, topics, posts in the forum body, posts in the long topic)."""
    long_posts = min(LONG_TOPIC_POSTS, posts // 5)
    body = posts - long_posts
    topics = max(1, body // POSTS_PER_TOPIC)
    members = max(100, int(posts * MEMBERS_PER_POST))
    return members, topics, body, long_posts


def base_env(secret: str, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUNE_")}
    env.update(TRIBUNE_DATABASE_URL=db_url, TRIBUNE_SECRET_KEY=secret, TRIBUNE_ALLOWED_HOSTS=HOST,
               TRIBUNE_VAR_DIR=str(WORK), TRIBUNE_EMAIL_BACKEND="console", PYTHONUNBUFFERED="1", **FLOOD_OFF)
    return env


def run_cli(python: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> float:
    started = time.monotonic()
    subprocess.run([str(python), "-m", "forum", *args], cwd=APP_ROOT, env=env, check=True, input=stdin,
                   text=True, stdout=subprocess.DEVNULL if stdin else None)
    return time.monotonic() - started


def file_fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


def schema_fingerprint() -> str:
    """Changes when a migration is added or edited: a database seeded before is not reused."""
    return file_fingerprint(*sorted((APP_ROOT / "migrations" / "versions").glob("*.py")))


def engine(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://")
                         else url)


def seed(python: Path, env: dict[str, str], posts: int) -> float:
    members, topics, body, long_posts = seed_plan(posts)
    log(f"{posts:,} posts: migrate + seed ({members:,} members, {topics:,} topics of ~{POSTS_PER_TOPIC} posts, "
        f"+ 1 topic of {long_posts:,} posts)")
    run_cli(python, env, "migrate")
    seconds = run_cli(python, env, "seed", "--members", str(members), "--federations", str(SEED_FEDERATIONS),
                      "--topics", str(topics), "--posts", str(body))
    seconds += run_cli(python, env, "seed", "--members", "1", "--federations", "1", "--topics", "1",
                       "--posts", str(long_posts))
    return seconds


def prepare_sqlite(python: Path, secret: str, posts: int, reuse: bool) -> Dataset:
    members, topics, body, long_posts = seed_plan(posts)
    path = WORK / f"tribune-{posts}.db"
    data = Dataset(posts=posts, database="sqlite", url=f"sqlite:///{path}", db_path=path, members=members,
                   topics=topics, long_posts=long_posts)
    stamp = path.with_suffix(".json")
    plan = {"members": members, "topics": topics, "body": body, "long": long_posts, "federations": SEED_FEDERATIONS,
            "schema": schema_fingerprint(), "seed": file_fingerprint(APP_ROOT / "forum" / "seed.py")}
    if reuse and path.exists() and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("plan") == plan:
            data.seed_seconds = saved["seconds"]
            data.seed_note = f"reused, seeded {saved['when']}"
            log(f"{posts:,} posts, SQLite: reusing {path.name} (seeded in {data.seed_seconds:.0f} s)")
            return finish_dataset(python, secret, data)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    data.seed_seconds = seed(python, base_env(secret, data.url), posts)
    data.seed_note = "fresh"
    log(f"{posts:,} posts, SQLite: seeded in {data.seed_seconds:.1f} s ({posts / data.seed_seconds:,.0f} posts/s)")
    stamp.write_text(json.dumps({"plan": plan, "seconds": data.seed_seconds,
                                 "when": dt.datetime.now().isoformat(timespec="seconds")}))
    return finish_dataset(python, secret, data)


def prepare_postgresql(python: Path, secret: str, posts: int, cluster: object) -> Dataset:
    from sqlalchemy import text
    members, topics, _, long_posts = seed_plan(posts)
    name = f"tribune_{posts}"
    admin = engine(cluster.url("postgres"))  # type: ignore[attr-defined]
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    data = Dataset(posts=posts, database="postgresql", url=cluster.url(name), members=members,  # type: ignore[attr-defined]
                   topics=topics, long_posts=long_posts)
    seconds = seed(python, base_env(secret, data.url), posts)
    # What an operator does after a bulk load: statistics for the planner, visibility map.
    started = time.monotonic()
    eng = engine(data.url)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    eng.dispose()
    vacuum = time.monotonic() - started
    data.seed_seconds = seconds + vacuum
    data.seed_note = f"fresh, incl. VACUUM ANALYZE {vacuum:.0f} s"
    log(f"{posts:,} posts, PostgreSQL: seeded in {data.seed_seconds:.1f} s ({posts / data.seed_seconds:,.0f} posts/s)")
    return finish_dataset(python, secret, data)


def finish_dataset(python: Path, secret: str, data: Dataset) -> Dataset:
    """Pick the measured pages, the posters and their topics from the data; make sure a moderator exists."""
    from sqlalchemy import text
    eng = engine(data.url)
    with eng.connect() as conn:
        ids = list(conn.scalars(text("SELECT id FROM topics ORDER BY id")))
        data.long_topic = ids[-1]
        body_ids = ids[:-1] or ids
        data.mid_topic = body_ids[len(body_ids) // 2]
        data.long_pages = -(-conn.scalar(text("SELECT post_count FROM topics WHERE id = :t"), {"t": data.long_topic}) // 20)
        category_id, data.category_slug = conn.execute(text(
            "SELECT c.id, c.slug FROM categories c JOIN topics t ON t.category_id = c.id WHERE t.id = :t"),
            {"t": data.mid_topic}).one()
        emails = list(conn.scalars(text(
            "SELECT email FROM members WHERE email LIKE 'seed%@tribune.example' ORDER BY id")))
        data.login_email = emails[len(emails) // 2]
        data.poster_emails = [e for e in emails[: POSTERS + 1] if e != data.login_email][:POSTERS]
        data.post_topics = list(conn.scalars(text(
            "SELECT id FROM topics WHERE category_id <> :c AND id <> :m AND id <> :l AND status = 'published' "
            "ORDER BY id LIMIT :n"), {"c": category_id, "m": data.mid_topic, "l": data.long_topic, "n": POST_TOPICS}))
        moderator = conn.scalar(text("SELECT id FROM members WHERE email = :e"), {"e": MODERATOR_EMAIL})
        if data.database == "sqlite" and data.db_path is not None:
            data.db_bytes = data.db_path.stat().st_size
        else:
            data.db_bytes = int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    eng.dispose()
    if moderator is None:
        run_cli(python, base_env(secret, data.url), "create-member", "--email", MODERATOR_EMAIL, "--first-name",
                "Banc", "--last-name", "Modération", "--role", "moderator", "--password-stdin",
                stdin=SEED_PASSWORD + "\n")
    return data


# --- writes the bench makes, and undoes --------------------------------------------------------


class Undo:
    """Remember the state the bench's posts and queue items change; put it back afterwards."""

    def __init__(self, data: Dataset) -> None:
        from sqlalchemy import text
        self.data = data
        self.eng = engine(data.url)
        with self.eng.connect() as conn:
            self.max_post = conn.scalar(text("SELECT coalesce(max(id), 0) FROM posts"))
            self.max_item = conn.scalar(text("SELECT coalesce(max(id), 0) FROM review_items"))
            self.topics = [tuple(r) for r in conn.execute(text(
                "SELECT id, post_count, last_post_at FROM topics WHERE id IN (" +
                ", ".join(str(t) for t in data.post_topics) + ")"))]
            self.categories = [tuple(r) for r in conn.execute(text(
                "SELECT id, post_count, topic_count FROM categories"))]

    def posts_added(self) -> int:
        from sqlalchemy import text
        with self.eng.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM posts WHERE id > :m"), {"m": self.max_post}) or 0)

    def set_queue(self, length: int) -> int:
        """Open bench items on distinct published posts until `length` items are open; the count."""
        from sqlalchemy import text
        reasons = json.dumps([{"source": "checker", "code": QUEUE_MARK,
                               "message": "Élément ouvert par bench/run.py pour mesurer la file."}])
        cast = "CAST(:r AS json)" if self.data.database == "postgresql" else ":r"
        with self.eng.begin() as conn:
            open_now = int(conn.scalar(text("SELECT count(*) FROM review_items WHERE status = 'open'")) or 0)
            if length > open_now:
                conn.execute(text(
                    "INSERT INTO review_items (post_id, category_id, federation_id, status, reasons, opened_at) "
                    f"SELECT p.id, t.category_id, c.federation_id, 'open', {cast}, p.created_at "
                    "FROM posts p JOIN topics t ON t.id = p.topic_id JOIN categories c ON c.id = t.category_id "
                    "WHERE p.status = 'published' AND p.id <= :m AND NOT EXISTS "
                    "(SELECT 1 FROM review_items r WHERE r.post_id = p.id AND r.status = 'open') "
                    "ORDER BY p.id LIMIT :n"), {"r": reasons, "m": self.max_post, "n": length - open_now})
            if self.data.database == "postgresql":
                # What autovacuum does soon after a bulk insert: without it the planner still
                # believes the table empty.
                conn.execute(text("ANALYZE review_items"))
            return int(conn.scalar(text("SELECT count(*) FROM review_items WHERE status = 'open'")) or 0)

    def restore(self) -> None:
        from sqlalchemy import text
        with self.eng.begin() as conn:
            if self.data.database == "sqlite":
                conn.execute(text("PRAGMA foreign_keys = ON"))
            conn.execute(text("DELETE FROM review_items WHERE id > :m"), {"m": self.max_item})
            for table in ("post_revisions", "quotes"):
                conn.execute(text(f"DELETE FROM {table} WHERE post_id > :m"), {"m": self.max_post})
            conn.execute(text("DELETE FROM posts WHERE id > :m"), {"m": self.max_post})
            for topic_id, count, last in self.topics:
                conn.execute(text("UPDATE topics SET post_count = :c, last_post_at = :l WHERE id = :t"),
                             {"c": count, "l": last, "t": topic_id})
            for category_id, posts, topics in self.categories:
                conn.execute(text("UPDATE categories SET post_count = :p, topic_count = :t WHERE id = :c"),
                             {"p": posts, "t": topics, "c": category_id})
        if self.data.database == "sqlite":
            with self.eng.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        self.eng.dispose()


# --- one case list -------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured case."""

    posts: int
    database: str  # "SQLite", "PostgreSQL" (Spirit: "SQLite")
    app: str  # tribune | bare | spirit
    workers: int
    key: str  # topic_p1, topic_deep, category, search, post, queue_short, queue_long, bare, spirit, spirit_anon
    label: str
    bytes: int = 0
    result: Result = field(default_factory=Result)
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Run:
    args: argparse.Namespace
    wrk: str | None
    python: Path
    secret: str
    rows: list[Row] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    spirit: list[peer_spirit.SpiritData] = field(default_factory=list)
    searches: list[dict[str, object]] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)
    case_no: int = 0
    case_total: int = 0
    started: float = field(default_factory=time.monotonic)

    def progress(self, what: str) -> None:
        self.case_no += 1
        elapsed = time.monotonic() - self.started
        log(f"[{self.case_no}/{self.case_total} · {elapsed / 60:.1f} min] {what}: "
            f"{self.args.warmup:g} s warm-up + {self.args.duration:g} s")

    def measure(self, row: Row, server: Server, load: Load, db_pid: int | None = None) -> Row:
        self.progress(f"{row.posts:,} posts · {row.database} · {row.workers} worker(s) · {row.label}")
        script = WORK / f"wrk-{row.key}.lua"
        row.result = loadgen.measure(self.wrk, server.port, load, self.args.connections, self.args.warmup,
                                     self.args.duration, server, script, db_pid)
        r = row.result
        log(f"    {r.rps:8.1f} req/s  p50 {r.p50_ms:7.1f}  p95 {r.p95_ms:7.1f}  p99 {r.p99_ms:7.1f} ms  "
            f"errors {r.errors}  server CPU {r.cpu_ms:.3f} ms/req ({r.cpu_share:.0%} of a core)"
            + (f"  PostgreSQL CPU {r.db_cpu_ms:.3f} ms/req" if db_pid else "") + f"  load {r.load:.1f}")
        self.rows.append(row)
        return row


def uvicorn_cmd(python: Path, app: list[str], port: int, workers: int, args: argparse.Namespace) -> list[str]:
    """uvicorn's command line; with several workers, through bench/uvicorn_nodelay.py (uvicorn#3149)."""
    launcher = ["-m", "uvicorn"] if workers == 1 or args.plain_uvicorn else [str(BENCH / "uvicorn_nodelay.py")]
    return [str(python), *launcher, *app, "--host", HOST, "--port", str(port), "--workers", str(workers),
            *([] if args.access_log else ["--no-access-log"])]


def shown(cmd: list[str], port: int) -> str:
    head = "uvicorn" if cmd[1] == "-m" else "python bench/uvicorn_nodelay.py"
    rest = cmd[3:] if cmd[1] == "-m" else cmd[2:]
    return (head + " " + " ".join(rest)).replace(str(ROOT) + "/", "").replace(f"--port {port}", "--port PORT")


def search_paths(data: Dataset) -> list[tuple[str, str]]:
    out = []
    for label, params in SEARCHES:
        values = {k: v.replace("{category}", data.category_slug) for k, v in params.items()}
        out.append((label, "/recherche?" + urlencode(values)))
    return out


def post_bodies(count: int = 40) -> list[str]:
    """Form-encoded reply bodies like the seed's posts (1–4 paragraphs of 15–60 words, some lists)."""
    sys.path.insert(0, str(APP_ROOT))
    rng = random.Random(7)
    try:
        from forum.seed import body_source  # the seed's own text
    except ImportError:  # an --app-root checkout from before it: its word list, uniformly
        from forum.seed import WORDS
        return [quote_plus("\n\n".join(
            [" ".join(rng.choices(WORDS, k=rng.randint(15, 60))).capitalize() + "." for _ in range(rng.randint(1, 4))]
        )) for _ in range(count)]
    return [quote_plus(body_source(rng)) for _ in range(count)]


def bench_tribune(run: Run, data: Dataset, workers: int, cluster_port: int | None, page_copy: Path,
                  first_workers: bool) -> None:
    """All Tribune cases for one data set and worker count, on one server."""
    args, cases = run.args, run.args.cases
    env = base_env(run.secret, data.url)
    port = loadgen.free_port()
    cmd = uvicorn_cmd(run.python, ["--factory", "forum.app:create_app"], port, workers, args)
    db_pid = loadgen.postmaster_pid(cluster_port) if cluster_port else None
    name = f"app-{data.database}-{data.posts}-w{workers}"
    size = (data.posts, data.label, workers)
    with Server(name, cmd, env, APP_ROOT, WORK / f"server-{name}.log", "/connexion", port, shown(cmd, port)) as app:
        run.commands[f"app-w{workers}"] = app.command
        cookie = loadgen.tribune_login(port, data.login_email, SEED_PASSWORD)
        mid, long_ = data.mid_topic, data.long_topic
        pages = [
            Row(*size[:2], "tribune", workers, "topic_p1", f"topic page 1 (topic {mid}, middle of the data)"),
            Row(*size[:2], "tribune", workers, "topic_deep",
                f"topic deep page ({data.long_pages}/{data.long_pages} of topic {long_})"),
            Row(*size[:2], "tribune", workers, "category", f"topic list /c/{data.category_slug}"),
        ]
        paths = {"topic_p1": (f"/t/{mid}", b'class="post'),
                 "topic_deep": (f"/t/{long_}?page={data.long_pages}", f"{data.long_pages} / {data.long_pages}".encode()),
                 "category": (f"/c/{data.category_slug}", b'class="topics"')}
        wanted = [r for r in pages if ("topic" in cases and r.key.startswith("topic")) or
                  ("list" in cases and r.key == "category")]
        for row in wanted:
            path, expect = paths[row.key]
            status, _, body = loadgen.http_get(port, path, cookie)
            if status != 200 or expect not in body:
                raise RuntimeError(f"{path}: HTTP {status}, {len(body)} bytes, not the expected page")
            row.bytes = len(body)
            if row.key == "topic_p1" and not page_copy.exists():
                page_copy.write_bytes(body)
        for row in wanted:
            run.measure(row, app, Load([paths[row.key][0]], cookie), db_pid)

        if "search" in cases:
            queries = search_paths(data)
            for _, path in queries:
                status, _, body = loadgen.http_get(port, path, cookie)
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
            row = Row(*size[:2], "tribune", workers, "search",
                      f"search, {len(queries)} queries in rotation")
            row.bytes = len(loadgen.http_get(port, queries[0][1], cookie)[2])
            run.measure(row, app, Load([p for _, p in queries], cookie), db_pid)
            if first_workers:
                log(f"{data.posts:,} posts · {data.label} · search latency, one connection, "
                    f"{SEARCH_ROUNDS} rounds of {len(queries)} queries")
                lat = loadgen.sequential_latencies(port, [p for _, p in queries], cookie, SEARCH_ROUNDS,
                                                   lambda status, body: status == 200)
                every = [ms for values in lat.values() for ms in values]
                run.searches.append({"posts": data.posts, "database": data.label, "queries": [
                    {"label": label, "path": path, "p50": loadgen.percentile(lat[path], 50),
                     "p95": loadgen.percentile(lat[path], 95), "max": max(lat[path])} for label, path in queries],
                    "p50": loadgen.percentile(every, 50), "p95": loadgen.percentile(every, 95), "max": max(every)})
                log(f"    all queries: p50 {run.searches[-1]['p50']:.1f} ms  p95 {run.searches[-1]['p95']:.1f} ms")

        if "post" in cases or "queue" in cases:
            undo = Undo(data)
            try:
                if "post" in cases:
                    posters = []
                    for i, email in enumerate(data.poster_emails):
                        member = loadgen.tribune_login(port, email, SEED_PASSWORD)
                        topic = data.post_topics[i % len(data.post_topics)]
                        posters.append((member, loadgen.csrf_of(port, f"/t/{topic}", member), topic))
                    # Each member replies in turn to each of the topics, with its own session and token.
                    rotation = [(c, t, f"/t/{data.post_topics[(i + j) % len(data.post_topics)]}/repondre")
                                for j in range(len(data.post_topics)) for i, (c, t, _) in enumerate(posters)]
                    row = Row(*size[:2], "tribune", workers, "post",
                              f"posting: replies from {len(posters)} members to {len(data.post_topics)} topics")
                    before_log = len(app.log_text())
                    before = undo.posts_added()
                    load = Load(["/"], posters=rotation, bodies=post_bodies(), origin=f"http://{HOST}:{port}")
                    run.measure(row, app, load, db_pid)
                    time.sleep(0.5)
                    added = undo.posts_added() - before
                    server_log = app.log_text()[before_log:]
                    locked = server_log.count("database is locked")
                    r = row.result
                    row.extra = {"acknowledged": r.requests - r.non2xx, "rows": added, "locked": locked,
                                 "5xx_in_log": len(re.findall(r"Traceback", server_log))}
                    log(f"    {r.requests - r.non2xx:,} replies acknowledged in the measured run, "
                        f"{added:,} rows added with the warm-up; 'database is locked' in the server log: {locked}")
                if "queue" in cases:
                    mod_cookie = loadgen.tribune_login(port, MODERATOR_EMAIL, SEED_PASSWORD)
                    long_length = min(QUEUE_LONG, data.posts // 2)
                    for key, length in (("queue_short", QUEUE_SHORT), ("queue_long", long_length)):
                        got = undo.set_queue(length)
                        status, _, body = loadgen.http_get(port, "/moderation", mod_cookie)
                        if status != 200 or QUEUE_MARK.encode() not in body and "Élément ouvert".encode() not in body:
                            raise RuntimeError(f"/moderation: HTTP {status}, {len(body)} bytes, not the queue")
                        row = Row(*size[:2], "tribune", workers, key, f"moderation queue, {got:,} open items")
                        row.bytes, row.extra = len(body), {"items": got}
                        run.measure(row, app, Load(["/moderation"], mod_cookie), db_pid)
            finally:
                undo.restore()


def bench_bare(run: Run, posts: int, workers: int, page_copy: Path) -> None:
    env = dict(base_env(run.secret, "sqlite:///unused.db"), BENCH_BARE_FILE=str(page_copy))
    port = loadgen.free_port()
    cmd = uvicorn_cmd(run.python, ["--factory", "--app-dir", str(BENCH), "bare_app:create_app"], port, workers,
                      run.args)
    with Server(f"bare-{posts}-w{workers}", cmd, env, ROOT, WORK / f"server-bare-{posts}-w{workers}.log", "/", port,
                shown(cmd, port)) as srv:
        run.commands[f"bare-w{workers}"] = srv.command
        status, _, body = loadgen.http_get(port, "/")
        if status != 200 or body != page_copy.read_bytes():
            raise RuntimeError("the bare app did not serve the page copy")
        row = Row(posts, "—", "bare", workers, "bare", "bare Starlette, static copy of topic page 1", len(body))
        run.measure(row, srv, Load(["/"]))


def bench_spirit(run: Run, data: peer_spirit.SpiritData, workers: int) -> None:
    port = loadgen.free_port()
    cmd = peer_spirit.server_command(port, workers)
    name = f"spirit-{data.posts}-w{workers}"
    with Server(name, cmd, peer_spirit.env(data.db), peer_spirit.PROJECT, WORK / f"server-{name}.log", "/", port,
                "gunicorn " + " ".join(cmd[1:]).replace(str(ROOT) + "/", "").replace(f":{port}", ":PORT")) as srv:
        run.commands["spirit"] = srv.command
        cookie = peer_spirit.session_cookie(data)
        for key, label, who in (("spirit", "Spirit topic page 1, logged in", cookie),
                                ("spirit_anon", "Spirit topic page 1, anonymous", None)):
            status, _, body = loadgen.http_get(port, data.topic_path, who)
            if status != 200 or b'class="comment' not in body or (who and data.username.encode() not in body):
                raise RuntimeError(f"Spirit {data.topic_path}: HTTP {status}, {len(body)} bytes, not the topic page")
            row = Row(data.posts, "SQLite", "spirit", workers, key, f"{label} ({data.topic_path})", len(body))
            run.measure(row, srv, Load([data.topic_path], who))


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 000 posts, SQLite, 1 worker, no peer (unless given explicitly)")
    parser.add_argument("--sizes", help="comma-separated post counts (default 10000,1000000)")
    parser.add_argument("--databases", help="sqlite,postgresql (default both)")
    parser.add_argument("--workers", help="comma-separated uvicorn/gunicorn worker counts (default 1,2)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"subset of {','.join(CASES)} (default all)")
    parser.add_argument("--no-peer", action="store_true", help="skip Spirit")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per case (default 10, max 60)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per case (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32, max 256)")
    parser.add_argument("--generator", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep SQLite files (Tribune's and Spirit's) already seeded with the same plan")
    parser.add_argument("--plain-uvicorn", action="store_true",
                        help="start several workers with plain `uvicorn --workers N` (Nagle left on: uvicorn#3149)")
    parser.add_argument("--access-log", action="store_true", help="keep uvicorn's access log (off by default)")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="checkout whose forum package is seeded and served (default: this one), "
                             "e.g. a patched copy in /tmp; databases stay in bench/.work/")
    args = parser.parse_args(argv)
    global APP_ROOT
    APP_ROOT = args.app_root.resolve()
    if not (APP_ROOT / "forum" / "app.py").exists():
        parser.error(f"{APP_ROOT} has no forum/app.py")
    sizes = [int(s.replace("_", "")) for s in (args.sizes or ("10000" if args.quick else "10000,1000000")).split(",")
             if s.strip()]
    databases = [d.strip() for d in (args.databases or ("sqlite" if args.quick else "sqlite,postgresql")).split(",")
                 if d.strip()]
    workers = [int(w) for w in (args.workers or ("1" if args.quick else "1,2")).split(",") if w.strip()]
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if args.quick and not args.no_peer:
        args.no_peer = True
    if not sizes or min(sizes) < 1000:
        parser.error("sizes must be at least 1000 posts")
    if set(databases) - set(DB_LABEL) or not databases:
        parser.error("--databases: sqlite, postgresql")
    if set(args.cases) - set(CASES):
        parser.error(f"--cases: {', '.join(CASES)}")
    if not workers or min(workers) < 1 or max(workers) > 8:
        parser.error("--workers: 1 to 8")
    args.duration = min(max(args.duration, 1.0), 60.0)
    args.warmup = min(max(args.warmup, 0.0), 30.0)
    args.connections = min(max(args.connections, 1), 256)

    python = Path(sys.executable)
    WORK.mkdir(parents=True, exist_ok=True)
    started_at, t0 = dt.datetime.now(), time.monotonic()
    info = report.machine_info(python)
    log(f"{info['nproc']} CPU {info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}")
    wrk = None
    if args.generator != "asyncio":
        wrk = loadgen.find_wrk(install=not args.no_install)
        if wrk is None and args.generator == "wrk":
            print("wrk is required (--generator wrk): sudo apt-get install -y wrk", file=sys.stderr)
            return 2
    if wrk is None and "post" in args.cases:
        log("no wrk: posting uses the asyncio generator too")
    generator = "asyncio keep-alive client (bench/loadgen.py)"
    if wrk:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("Copyright")[0].strip()
        generator = f"{version} (-t1, Lua scripts for rotating URLs, posts and the 95th percentile)"
    run = Run(args=args, wrk=wrk, python=python, secret=secrets.token_urlsafe(48))
    per_db = 2 * ("topic" in args.cases) + ("list" in args.cases) + ("search" in args.cases) + \
        ("post" in args.cases) + 2 * ("queue" in args.cases)
    run.case_total = len(sizes) * len(workers) * (len(databases) * per_db + ("topic" in args.cases)
                                                  + (0 if args.no_peer else 2))
    spirit_versions = ""
    pg_version = ""
    interrupted = False
    # A plain `kill` stops the run the way Ctrl-C does: servers, cluster and databases cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with ExitStack() as stack:
            cluster = None
            if "postgresql" in databases:
                from tests.servers import throwaway_pg_cluster
                log("starting a throwaway PostgreSQL cluster (tests/servers.py)")
                cluster = stack.enter_context(throwaway_pg_cluster())
                pg_version = report.postgres_version(cluster.url("postgres"))
            if not args.no_peer:
                spirit_versions = peer_spirit.ensure_venv()
            for posts in sizes:
                page_copy = WORK / f"bare_page-{posts}.html"
                page_copy.unlink(missing_ok=True)
                sets: list[Dataset] = []
                for database in databases:
                    if database == "sqlite":
                        sets.append(prepare_sqlite(python, run.secret, posts, args.reuse_db))
                    else:
                        sets.append(prepare_postgresql(python, run.secret, posts, cluster))
                run.datasets.extend(sets)
                for w_index, n in enumerate(workers):
                    for data in sets:
                        bench_tribune(run, data, n, cluster.port if cluster and data.database == "postgresql" else None,
                                      page_copy, w_index == 0)
                    if "topic" in args.cases and page_copy.exists():
                        bench_bare(run, posts, n, page_copy)
                if not args.no_peer:
                    members, _, _, long_posts = seed_plan(posts)
                    sys.path.insert(0, str(APP_ROOT))
                    from forum.seed import _bodies
                    bodies = [source for source, _ in _bodies(random.Random(42))]
                    spirit = peer_spirit.prepare(posts, members, long_posts, bodies, args.reuse_db)
                    run.spirit.append(spirit)
                    for n in workers:
                        bench_spirit(run, spirit, n)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: servers and cluster stopped, seeded databases restored; no RESULTS.md written")
    if interrupted:
        return 130
    elapsed = time.monotonic() - t0
    given = argv if argv is not None else sys.argv[1:]
    command = "make bench (.venv/bin/python bench/run.py)" if not given else \
        " ".join([".venv/bin/python", "bench/run.py", *given])
    inputs = report.Inputs(
        command=command, code=report.code_version(APP_ROOT, ROOT), info=info, generator=generator, args=args,
        sizes=sizes, databases=[DB_LABEL[d] for d in databases], workers=workers, datasets=run.datasets,
        spirit=run.spirit, rows=run.rows, searches=run.searches, commands=run.commands, started=started_at,
        elapsed=elapsed, pg_version=pg_version, spirit_versions=spirit_versions)
    # Raw figures kept: `python bench/report.py` rewrites RESULTS.md from them without measuring again.
    # (next to --output when it is not bench/RESULTS.md, so that a trial run keeps the full run's figures).
    report.save(inputs, WORK / "last-run.json" if args.output == BENCH / "RESULTS.md" else args.output.with_suffix(".json"))
    report.write(args.output, inputs)
    log(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} "
        f"— total run time {elapsed / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
