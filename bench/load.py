"""Bounded load test: `make load` (= `.venv/bin/python bench/load.py`).

64 logged-in members, each an httpx.AsyncClient on 127.0.0.1, read topic pages, post
replies, post replies carrying a structured quote (a tweet whose id agrees with its date)
and report posts, for 60 s, against the real app under `uvicorn --workers 2`, on a SQLite
file and on a throwaway PostgreSQL cluster (the suite's, from tests/servers.py). Flood limits
are turned off through TRIBUNE_* settings: the test measures the write paths, not the refusals.

It reports requests, status classes and p50/p99 latency per kind, and checks the two
promises of issue 8: no 5xx, and as many posts in the database as posts acknowledged
(303) to a client. Results go into bench/RESULTS.md between `<!-- load:start -->` and
`<!-- load:end -->` (added at the end if absent; nothing else in the file is touched).
Every server and cluster started here is stopped here.

    .venv/bin/python bench/load.py                                # 60 s on SQLite, then on PostgreSQL
    .venv/bin/python bench/load.py --duration 10 --databases sqlite --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers: the suite's throwaway PostgreSQL and uvicorn helpers

from sqlalchemy import text  # noqa: E402

from forum.db import make_engine  # noqa: E402
from tests.servers import PgCluster, free_port, start_uvicorn, stop, throwaway_pg_cluster, wait_serving  # noqa: E402

WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
SEED_PASSWORD = "seed-password-not-for-production"  # forum/seed.py's
KINDS = ("read", "post", "quote", "report")
WEIGHTS = (0.55, 0.20, 0.15, 0.10)
SEED = {"members": 64, "federations": 4, "topics": 40, "posts": 2000}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WORDS = "programme section motion congrès logement transports budget école débat campagne tract".split()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    acked: Counter[str] = field(default_factory=Counter)  # posts and quotes answered 303, reports 200
    transport_errors: int = 0

    def add(self, kind: str, status: int, seconds: float) -> None:
        self.latencies[kind].append(seconds)
        self.statuses[kind][status] += 1


@dataclass
class Forum:
    """What the seeded database offers the clients."""

    emails: list[str]
    topic_ids: list[int]
    post_ids: list[int]


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tweet_quote(rng: random.Random) -> dict[str, str]:
    """A structured quote the checker can verify: the status id encodes the declared date."""
    when = dt.datetime(2019, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=rng.randrange(1500))
    status = (int(when.timestamp() * 1000) - 1288834974657) << 22
    handle = rng.choice(["jdupont", "mvidal", "sleroy"])
    return {"quote_count": "1", "q-0-kind": "tweet", "q-0-author": handle.capitalize(), "q-0-handle": f"@{handle}",
            "q-0-said_at": when.date().isoformat(), "q-0-source_url": f"https://twitter.com/{handle}/status/{status}",
            "q-0-context": "Pendant la campagne municipale.", "q-0-text": " ".join(rng.choices(WORDS, k=12))}


# --- one member -----------------------------------------------------------------------------


async def log_in(base: str, email: str) -> tuple[httpx.AsyncClient, str]:
    """A member's own client, logged in through the real form, and the CSRF token of its session."""
    # No timeout that could cut a request the server may still commit: acknowledged must mean answered.
    client = httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=httpx.Timeout(300))
    page = await client.get("/connexion")
    login = await client.post("/connexion", data={"csrf_token": CSRF.search(page.text).group(1),  # type: ignore[union-attr]
                                                  "email": email, "password": SEED_PASSWORD, "next": "/"})
    if login.status_code != 303:
        raise RuntimeError(f"connexion refusée pour {email} : HTTP {login.status_code}")
    return client, CSRF.search((await client.get("/")).text).group(1)  # type: ignore[union-attr]


async def member_loop(client: httpx.AsyncClient, token: str, index: int, forum: Forum, tag: str, deadline: float,
                      tally: Tally) -> None:
    rng = random.Random(index)
    reported: set[int] = set()
    n = 0
    while time.monotonic() < deadline:
        n += 1
        kind = rng.choices(KINDS, WEIGHTS)[0]
        topic = rng.choice(forum.topic_ids)
        if kind == "read":
            method, url, data = "GET", f"/t/{topic}?page={rng.randint(1, 3)}", None
        elif kind in ("post", "quote"):
            body = f"load {tag} m{index} n{n} : " + " ".join(rng.choices(WORDS, k=rng.randint(8, 40)))
            data = {"csrf_token": token, "action": "publish", "body": body, "quote_count": "0"}
            if kind == "quote":
                data |= tweet_quote(rng)
            method, url = "POST", f"/t/{topic}/repondre"
        else:
            post = rng.choice(forum.post_ids)
            while post in reported:
                post = rng.choice(forum.post_ids)
            reported.add(post)
            method, url = "POST", f"/p/{post}/signaler"
            data = {"csrf_token": token, "reason_code": rng.choice(["hors_sujet", "attaque_personnelle", "montage"])}
        started = time.perf_counter()
        try:
            response = await client.request(method, url, data=data)
        except httpx.TransportError:
            tally.transport_errors += 1
            continue
        tally.add(kind, response.status_code, time.perf_counter() - started)
        if (kind in ("post", "quote") and response.status_code == 303) or (
                kind == "report" and response.status_code == 200 and "signalement est transmis" in response.text):
            tally.acked[kind] += 1


async def drive(base: str, forum: Forum, tag: str, clients: int, duration: float) -> tuple[Tally, float]:
    """Log every member in first (argon2 at production cost), then load for `duration` seconds."""
    sessions = await asyncio.gather(*(log_in(base, email) for email in forum.emails[:clients]))
    tally = Tally()
    try:
        started = time.monotonic()
        deadline = started + duration
        await asyncio.gather(*(member_loop(client, token, i, forum, tag, deadline, tally)
                               for i, (client, token) in enumerate(sessions)))
        return tally, time.monotonic() - started
    finally:
        for client, _ in sessions:
            await client.aclose()


# --- one database ------------------------------------------------------------------------------


def forum_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "forum", *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True)


def read_forum(url: str) -> Forum:
    engine = make_engine(url)
    with engine.connect() as conn:
        emails = list(conn.scalars(text("SELECT email FROM members WHERE email LIKE 'seed%' ORDER BY id")))
        topics = list(conn.scalars(text("SELECT id FROM topics ORDER BY id")))
        posts = list(conn.scalars(text("SELECT id FROM posts ORDER BY id")))
    engine.dispose()
    return Forum(emails, topics, posts)


def count_rows(url: str, tag: str) -> dict[str, int]:
    engine = make_engine(url)
    like = f"load {tag} %"
    with engine.connect() as conn:
        posts = conn.scalar(text("SELECT count(*) FROM posts WHERE source LIKE :like"), {"like": like})
        quoted = conn.scalar(text("SELECT count(DISTINCT q.post_id) FROM quotes q JOIN posts p ON p.id = q.post_id "
                                  "WHERE p.source LIKE :like"), {"like": like})
        reports = conn.scalar(text("SELECT count(*) FROM reports"))
    engine.dispose()
    return {"posts": int(posts or 0), "quoted": int(quoted or 0), "reports": int(reports or 0)}


def run_database(name: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    tag = f"{name}-{secrets.token_hex(3)}"
    env = dict(os.environ)
    env.update(
        TRIBUNE_DATABASE_URL=url, TRIBUNE_SECRET_KEY=secrets.token_urlsafe(48), TRIBUNE_ALLOWED_HOSTS="127.0.0.1",
        TRIBUNE_EMAIL_BACKEND="console", TRIBUNE_VAR_DIR=str(WORK),
        # Flood limits off: 64 members posting and reporting as fast as they can is the point.
        TRIBUNE_SECONDS_BETWEEN_POSTS="0", TRIBUNE_TOPICS_PER_DAY="0", TRIBUNE_REPORTS_PER_HOUR="0",
        TRIBUNE_EDITS_PER_HOUR="0", TRIBUNE_NOTES_PER_DAY="0",
    )
    log(f"{name}: migrate + seed {SEED}")
    forum_cli(env, "migrate")
    forum_cli(env, "seed", *(f"--{k}={v}" for k, v in SEED.items()))
    forum = read_forum(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(WORK / f"load-{name}.log", "wb") as server_log:
        server = start_uvicorn(env, port, workers=args.workers, stderr=server_log.fileno())
        try:
            wait_serving(base, server, timeout=60)
            log(f"{name}: {args.clients} members for {args.duration:g} s against {base} ({args.workers} workers)")
            tally, elapsed = asyncio.run(drive(base, forum, tag, args.clients, args.duration))
        finally:
            stop(server, timeout=30)
    rows = count_rows(url, tag)
    log(f"{name}: done in {elapsed:.1f} s; acknowledged {dict(tally.acked)}; rows {rows}")
    return {"name": name, "tally": tally, "elapsed": elapsed, "rows": rows}


# --- report -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))] * 1000


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    gib = f"{int(mem.group(1)) / 1024 / 1024:.0f} GiB" if mem else "?"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPU ({cpu}), {gib} RAM, Linux {platform.release()}; load average at the end {load}"


def versions(pg: str | None) -> str:
    from importlib.metadata import version

    parts = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if pg:
        parts.append(pg)
    parts += [f"{p} {version(p)}" for p in ("starlette", "uvicorn", "sqlalchemy", "httpx")]
    return ", ".join(parts)


def section(results: list[dict[str, object]], args: argparse.Namespace, command: str, pg_version: str | None,
            started: dt.datetime) -> str:
    lines = [
        START,
        "## Load: 64 members reading, posting, quoting and reporting (`make load`)",
        "",
        f"Written by `bench/load.py`. Command: `{command}`. Run {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine()}",
        f"- Software: {versions(pg_version)}",
        f"- Server: `uvicorn --factory forum.app:create_app --workers {args.workers}` on 127.0.0.1, flood limits off "
        "(TRIBUNE_SECONDS_BETWEEN_POSTS=0, TRIBUNE_TOPICS_PER_DAY=0, TRIBUNE_REPORTS_PER_HOUR=0)",
        f"- Data: `python -m forum seed --members {SEED['members']} --federations {SEED['federations']} "
        f"--topics {SEED['topics']} --posts {SEED['posts']}` into a fresh database; PostgreSQL is a throwaway "
        "cluster (tests/servers.py: fsync off, as in the suite)",
        f"- Load: {args.clients} members, one httpx.AsyncClient each (own session, no client timeout), "
        f"{args.duration:g} s; each request drawn at random: "
        + ", ".join(f"{k} {w:.0%}" for k, w in zip(KINDS, WEIGHTS))
        + " (read = a topic page 1–3; post = a reply; quote = a reply with a structured tweet quote; "
          "report = a report of a post not yet reported by that member)",
        "- Client, servers and database share the same machine.",
        "",
        "| database | kind | requests | req/s | 2xx/3xx | 4xx | 5xx | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for result in results:
        tally: Tally = result["tally"]  # type: ignore[assignment]
        elapsed: float = result["elapsed"]  # type: ignore[assignment]
        rows: dict[str, int] = result["rows"]  # type: ignore[assignment]
        total = Counter[str]()
        for kind in KINDS:
            statuses = tally.statuses[kind]
            count = sum(statuses.values())
            ok = sum(v for s, v in statuses.items() if s < 400)
            c4 = sum(v for s, v in statuses.items() if 400 <= s < 500)
            c5 = sum(v for s, v in statuses.items() if s >= 500)
            total.update(requests=count, ok=ok, c4=c4, c5=c5)
            lat = tally.latencies[kind]
            lines.append(f"| {result['name']} | {kind} | {count:,} | {count / elapsed:,.1f} | {ok:,} | {c4:,} | {c5:,} | "
                         f"{percentile(lat, 0.50):,.1f} | {percentile(lat, 0.99):,.1f} |")
        every = [x for kind in KINDS for x in tally.latencies[kind]]
        lines.append(f"| {result['name']} | **all** | {total['requests']:,} | {total['requests'] / elapsed:,.1f} | "
                     f"{total['ok']:,} | {total['c4']:,} | {total['c5']:,} | {percentile(every, 0.50):,.1f} | "
                     f"{percentile(every, 0.99):,.1f} |")
        acked_posts = tally.acked["post"] + tally.acked["quote"]
        verdicts.append(
            f"| {result['name']} | {total['c5']} | {acked_posts:,} ({tally.acked['quote']:,} with a quote) | "
            f"{rows['posts']:,} ({rows['quoted']:,} with a quote) | {tally.acked['report']:,} / {rows['reports']:,} | "
            f"{tally.transport_errors} | "
            + ("**met**" if total["c5"] == 0 and 0 < acked_posts == rows["posts"] and tally.acked["quote"] == rows["quoted"]
               and tally.transport_errors == 0 else "**not met**") + " |")
    lines += [
        "",
        "| database | 5xx | posts acknowledged (303) | post rows in the database | reports acknowledged / rows | "
        "connection errors | zero 5xx and counts equal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        *verdicts,
        "",
        "4xx are refusals a member would see too (a post masked by reports no longer reportable, a seeded post "
        "that is one's own); they are not errors of the server.",
        END,
    ]
    return "\n".join(lines)


def write_results(block: str) -> None:
    """Replace what lies between the markers; add them at the end of the file when absent."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Tribune — load benchmark results\n"
    if START in current and END in current and current.index(START) < current.index(END):
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        RESULTS.write_text(before + block + after)
    else:
        RESULTS.write_text(current.rstrip("\n") + "\n\n" + block + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per database (default 60)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent members (default 64, at most 64)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing RESULTS.md")
    args = parser.parse_args()
    args.clients = min(args.clients, SEED["members"])
    command = "make load" if len(sys.argv) == 1 else ".venv/bin/python bench/load.py " + " ".join(sys.argv[1:])
    started = dt.datetime.now(dt.timezone.utc)
    WORK.mkdir(parents=True, exist_ok=True)
    results, pg_version = [], None
    for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if name == "sqlite":
            path = WORK / "load.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            results.append(run_database("SQLite", f"sqlite:///{path}", args))
        elif name == "postgresql":
            if shutil.which("pg_ctl") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
                log("PostgreSQL absent (apt-get install postgresql): skipped")
                continue
            with throwaway_pg_cluster() as cluster:
                pg_version = create_database(cluster)
                results.append(run_database("PostgreSQL", cluster.url("tribune"), args))
        else:
            parser.error(f"base inconnue : {name}")
    block = section(results, args, command, pg_version, started)
    if args.no_write:
        print(block)
    else:
        write_results(block)
        log(f"written between the load markers of {RESULTS.relative_to(ROOT)}")
    failed = any(sum(v for s, v in r["tally"].statuses[k].items() if s >= 500) for r in results for k in KINDS)  # type: ignore[attr-defined]
    unequal = any(r["tally"].acked["post"] + r["tally"].acked["quote"] != r["rows"]["posts"] for r in results)  # type: ignore[attr-defined,index]
    return 1 if failed or unequal else 0


def create_database(cluster: PgCluster) -> str:
    admin = make_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE tribune"))
        server_version = str(conn.scalar(text("SHOW server_version"))).split()[0]
    admin.dispose()
    return f"PostgreSQL {server_version}"


if __name__ == "__main__":
    sys.exit(main())
