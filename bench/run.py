"""Tribune load benchmark: `make bench` (= `.venv/bin/python bench/run.py`) writes bench/RESULTS.md.

For each data size (10 000 and 1 000 000 posts by default):

1. seed a fresh SQLite file under bench/.work/ with `python -m forum migrate` and
   `python -m forum seed` (two calls: the forum body, then one long topic, so that a
   topic has a deep page while the category pages stay full at every size);
2. start the real app, `uvicorn --factory forum.app:create_app`, one worker, on
   127.0.0.1 with a random TRIBUNE_SECRET_KEY, and log in as a seeded member
   through the real login form (GET /connexion, POST with the CSRF token);
3. start bench/bare_app.py under the same uvicorn settings, serving a static copy of
   the measured topic page (same bytes): the ceiling;
4. load each page with wrk (Debian package `wrk`; an asyncio fallback otherwise):
   32 connections, 2 s of warm-up then 10 s measured, 127.0.0.1 only.

Every load is bounded in time; every server started here is stopped here.

    .venv/bin/python bench/run.py              # 10k and 1M posts
    .venv/bin/python bench/run.py --quick      # 10k only
    .venv/bin/python bench/run.py --sizes 10000,200000 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
APP_ROOT = ROOT  # the checkout whose `forum` is seeded and served (--app-root: a patched copy)
WORK = BENCH / ".work"
HOST = "127.0.0.1"
SEED_PASSWORD = "seed-password-not-for-production"
SEED_FEDERATIONS = 30
POSTS_PER_TOPIC = 50  # forum body: README's 1 000 000 posts / 20 000 topics
MEMBERS_PER_POST = 1 / 20  # README's 50 000 members for 1 000 000 posts
LONG_TOPIC_POSTS = 2000  # the long topic: 100 pages of 20
SESSION_COOKIE = "tribune_session"
ANON_COOKIE = "tribune_anon"

TARGET_BARE_RATIO = 0.08
TARGET_P99_MS = 100.0
TARGET_SIZE_RATIO = 1.2


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- machine ------------------------------------------------------------------------------


def machine_info(python: Path) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (
        "import sys, sqlite3, importlib.metadata as m\n"
        "v = {}\n"
        "for p in ('starlette', 'uvicorn', 'sqlalchemy', 'jinja2', 'httptools', 'uvloop'):\n"
        "    try: v[p] = m.version(p)\n"
        "    except Exception: v[p] = 'absent'\n"
        "import json; print(sys.version.split()[0]); print(sqlite3.sqlite_version); print(json.dumps(v))\n"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    libs = json.loads(out[2])
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "python": out[0],
        "sqlite": out[1],
        "libs": ", ".join(f"{k} {v}" for k, v in libs.items()),
    }


def code_version(root: Path) -> str:
    """`path @ commit (+ uncommitted changes)` of the measured checkout, read-only."""
    where = "this checkout" if root == ROOT else f"`{root}`"
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return where
    if not commit:
        return where
    return f"{where} at {commit}" + (" with uncommitted changes" if dirty else "")


# --- seeding ------------------------------------------------------------------------------


@dataclass
class Dataset:
    posts: int
    db_path: Path
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
    db_bytes: int = 0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"


def seed_plan(posts: int) -> tuple[int, int, int, int]:
    """(members, topics, posts in the forum body, posts in the long topic)."""
    long_posts = min(LONG_TOPIC_POSTS, posts // 5)
    body = posts - long_posts
    topics = max(1, body // POSTS_PER_TOPIC)
    members = max(100, int(posts * MEMBERS_PER_POST))
    return members, topics, body, long_posts


def base_env(secret: str, db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("TRIBUNE_"):
            del env[name]
    env.update(
        TRIBUNE_DATABASE_URL=db_url,
        TRIBUNE_SECRET_KEY=secret,
        TRIBUNE_ALLOWED_HOSTS=HOST,
        TRIBUNE_VAR_DIR=str(WORK),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_cli(python: Path, env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    subprocess.run([str(python), "-m", "forum", *args], cwd=APP_ROOT, env=env, check=True)
    return time.monotonic() - started


def file_fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


def schema_fingerprint() -> str:
    """Changes when a migration is added or edited: a database seeded before is not reused."""
    return file_fingerprint(*sorted((APP_ROOT / "migrations" / "versions").glob("*.py")))


def prepare_dataset(python: Path, secret: str, posts: int, reuse: bool) -> Dataset:
    members, topics, body, long_posts = seed_plan(posts)
    data = Dataset(posts=posts, db_path=WORK / f"tribune-{posts}.db", members=members, topics=topics, long_posts=long_posts)
    stamp = data.db_path.with_suffix(".json")
    plan = {"members": members, "topics": topics, "body": body, "long": long_posts, "federations": SEED_FEDERATIONS,
            "schema": schema_fingerprint(), "seed": file_fingerprint(APP_ROOT / "forum" / "seed.py")}
    if reuse and data.db_path.exists() and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("plan") == plan:
            data.seed_seconds = saved["seconds"]
            data.seed_note = f"reused (seeded {saved['when']})"
            log(f"{posts:,} posts: reusing {data.db_path.name} (seeded in {data.seed_seconds:.0f} s)")
            return locate(data)
    for suffix in ("", "-wal", "-shm"):
        Path(str(data.db_path) + suffix).unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    env = base_env(secret, data.url)
    log(f"{posts:,} posts: migrate + seed ({members:,} members, {topics:,} topics of ~{POSTS_PER_TOPIC} posts, "
        f"+ 1 topic of {long_posts:,} posts)")
    run_cli(python, env, "migrate")
    seconds = run_cli(python, env, "seed", "--members", str(members), "--federations", str(SEED_FEDERATIONS),
                      "--topics", str(topics), "--posts", str(body))
    seconds += run_cli(python, env, "seed", "--members", "1", "--federations", "1", "--topics", "1",
                       "--posts", str(long_posts))
    data.seed_seconds = seconds
    data.seed_note = "fresh"
    log(f"{posts:,} posts seeded in {seconds:.1f} s ({posts / seconds:,.0f} posts/s)")
    stamp.write_text(json.dumps({"plan": plan, "seconds": seconds, "when": dt.datetime.now().isoformat(timespec="seconds")}))
    return locate(data)


def locate(data: Dataset) -> Dataset:
    """Pick the measured pages from the data itself (read-only)."""
    con = sqlite3.connect(f"file:{data.db_path}?mode=ro", uri=True)
    try:
        ids = [row[0] for row in con.execute("SELECT id FROM topics ORDER BY id")]
        data.long_topic = ids[-1]
        body_ids = ids[:-1] or ids
        data.mid_topic = body_ids[len(body_ids) // 2]
        data.long_pages = -(-con.execute("SELECT post_count FROM topics WHERE id = ?", (data.long_topic,)).fetchone()[0] // 20)
        data.category_slug = con.execute(
            "SELECT c.slug FROM categories c JOIN topics t ON t.category_id = c.id WHERE t.id = ?", (data.mid_topic,)
        ).fetchone()[0]
        data.login_email = con.execute(
            "SELECT email FROM members WHERE email LIKE 'seed%@tribune.example' ORDER BY id LIMIT 1 OFFSET ?",
            (data.members // 2,),
        ).fetchone()[0]
    finally:
        con.close()
    data.db_bytes = data.db_path.stat().st_size
    return data


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """One uvicorn process (one worker), started and stopped here."""

    def __init__(self, name: str, uvicorn_args: list[str], env: dict[str, str], python: Path, extra_flags: list[str],
                 cwd: Path | None = None) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = WORK / f"server-{name}.log"
        cmd = [str(python), "-m", "uvicorn", *uvicorn_args, "--host", HOST, "--port", str(self.port),
               "--workers", "1", *extra_flags]
        self.command = "uvicorn " + " ".join(cmd[3:]).replace(str(ROOT) + "/", "").replace(f"--port {self.port}", "--port PORT")
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd or APP_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start; see {self.log_path}")
            try:
                status, _, _ = http_get(self.port, "/connexion")
                if status:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not answer within 30 s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_get(port: int, path: str, cookie: str | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        got: dict[str, list[str]] = {}
        for key, value in resp.getheaders():
            got.setdefault(key.lower(), []).append(value)
        return resp.status, got, body
    finally:
        conn.close()


def _cookie_value(set_cookies: list[str], name: str) -> str | None:
    for header in set_cookies:
        first = header.split(";", 1)[0]
        key, _, value = first.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return None


def login(port: int, email: str) -> str:
    """Log in through the real form; returns the Cookie header for the session."""
    status, headers, body = http_get(port, "/connexion")
    if status != 200:
        raise RuntimeError(f"GET /connexion answered {status}")
    anon = _cookie_value(headers.get("set-cookie", []), ANON_COOKIE)
    match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    if not anon or not match:
        raise RuntimeError("no anonymous cookie or CSRF token on the login page")
    form = urlencode({"email": email, "password": SEED_PASSWORD, "csrf_token": match.group(1).decode(), "next": "/"})
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", "/connexion", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{ANON_COOKIE}={anon}",
        })
        resp = conn.getresponse()
        resp.read()
        session = _cookie_value(resp.headers.get_all("set-cookie") or [], SESSION_COOKIE)
        if resp.status != 303 or not session:
            raise RuntimeError(f"login as {email} failed: HTTP {resp.status}")
    finally:
        conn.close()
    return f"{SESSION_COOKIE}={session}"


# --- load generators ----------------------------------------------------------------------


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    note: str = ""
    cpu_ms: float = 0.0  # server CPU time (user + system) per request
    cpu_share: float = 0.0  # server CPU seconds per wall second (1.0 = one core busy)
    load: float = 0.0  # 1-minute load average around the measure


def find_wrk(install: bool) -> str | None:
    path = shutil.which("wrk")
    if path or not install:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk missing: apt-get install -y wrk (running as root)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for step in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "wrk"]):
            try:
                done = subprocess.run(step, env=env, capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                break
            if step[1] == "install" and done.returncode == 0:
                break
        path = shutil.which("wrk")
    if not path:
        log("wrk not available (install it with: sudo apt-get install -y wrk); using the asyncio generator")
    return path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(wrk: str, url: str, cookie: str | None, connections: int, seconds: float) -> Result:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    result = Result()
    result.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if done:
        result.requests = int(done.group(1))
        result.seconds = _ms(done.group(2) + done.group(3)) / 1000
    result.p50_ms = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    result.p99_ms = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result.errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    return result


async def _asyncio_load(port: int, path: str, cookie: str | None, connections: int, seconds: float) -> Result:
    """A minimal HTTP/1.1 keep-alive client: `connections` loops, each one request at a time."""
    request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n").encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors
        reader = writer = None
        while time.monotonic() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                assert reader is not None
                started = time.monotonic()
                writer.write(request)
                status_line = await asyncio.wait_for(reader.readline(), 10)
                length, chunked = 0, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        size = int((await reader.readline()).split(b";")[0], 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                else:
                    await reader.readexactly(length)
                latencies.append(time.monotonic() - started)
                if not status_line.split(b" ")[1].startswith((b"2", b"3")):
                    errors += 1
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    result = Result(requests=len(latencies), seconds=elapsed, errors=errors, note="asyncio")
    result.rps = len(latencies) / elapsed if elapsed else 0.0
    if latencies:
        q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
        result.p50_ms, result.p99_ms = q[49] * 1000, q[98] * 1000
    return result


def measure(wrk: str | None, port: int, path: str, cookie: str | None, connections: int, warmup: float,
            duration: float, server: "Server") -> Result:
    """Warm up, then measure; also the server's own CPU time per request and the machine's load."""
    url = f"http://{HOST}:{port}{path}"
    if wrk:
        run_wrk(wrk, url, cookie, connections, warmup)
    else:
        asyncio.run(_asyncio_load(port, path, cookie, connections, warmup))
    load_before = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    if wrk:
        result = run_wrk(wrk, url, cookie, connections, duration)
    else:
        result = asyncio.run(_asyncio_load(port, path, cookie, connections, duration))
    cpu = server.cpu_seconds() - cpu_before
    result.cpu_ms = 1000 * cpu / result.requests if result.requests else 0.0
    result.cpu_share = cpu / result.seconds if result.seconds else 0.0
    result.load = max(load_before, os.getloadavg()[0])
    return result


# --- one size -----------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    label: str
    path: str
    server: str  # "app" or "bare"
    expect: bytes = b""
    bytes: int = 0
    result: Result = field(default_factory=Result)


def bench_size(data: Dataset, args: argparse.Namespace, python: Path, secret: str, wrk: str | None,
               uvicorn_flags: list[str]) -> tuple[list[Case], str, str]:
    env = base_env(secret, data.url)
    mid, long_ = data.mid_topic, data.long_topic
    cases = [
        Case("topic_p1", f"topic page 1 (topic {mid}, middle of the data)", f"/t/{mid}", "app", b'class="post'),
        Case("topic_deep", f"topic deep page ({data.long_pages}/{data.long_pages} of topic {long_})",
             f"/t/{long_}?page={data.long_pages}", "app", f"{data.long_pages} / {data.long_pages}".encode()),
        Case("category", f"topic list /c/{data.category_slug}", f"/c/{data.category_slug}", "app", b'class="topics"'),
    ]
    page_copy = WORK / f"bare_page-{data.posts}.html"
    with Server(f"app-{data.posts}", ["--factory", "forum.app:create_app"], env, python, uvicorn_flags) as app:
        app_command = app.command
        cookie = login(app.port, data.login_email)
        log(f"logged in as {data.login_email} on :{app.port}")
        for case in cases:
            status, _, body = http_get(app.port, case.path, cookie)
            if status != 200 or case.expect not in body:
                raise RuntimeError(f"{case.path}: HTTP {status}, {len(body)} bytes, not the expected page")
            case.bytes = len(body)
            if case.key == "topic_p1":
                page_copy.write_bytes(body)
        for case in cases:
            log(f"{data.posts:,} posts · {case.label}: {args.warmup:g} s warm-up + {args.duration:g} s")
            case.result = measure(wrk, app.port, case.path, cookie, args.connections, args.warmup, args.duration, app)
            log(f"    {case.result.rps:8.1f} req/s  p50 {case.result.p50_ms:7.1f} ms  p99 {case.result.p99_ms:7.1f} ms"
                f"  errors {case.result.errors}  server CPU {case.result.cpu_ms:.2f} ms/req"
                f" ({case.result.cpu_share:.0%} of a core)  load {case.result.load:.1f}")
    bare_env = dict(env, BENCH_BARE_FILE=str(page_copy))
    bare = Case("bare", "bare Starlette, static copy of topic page 1", "/", "bare", b'class="post')
    with Server(f"bare-{data.posts}", ["--factory", "--app-dir", str(BENCH), "bare_app:create_app"], bare_env, python,
                uvicorn_flags, cwd=ROOT) as srv:
        bare_command = srv.command
        status, _, body = http_get(srv.port, "/")
        if status != 200 or bare.expect not in body:
            raise RuntimeError("the bare app did not serve the page copy")
        bare.bytes = len(body)
        log(f"{data.posts:,} posts · {bare.label}: {args.warmup:g} s warm-up + {args.duration:g} s")
        bare.result = measure(wrk, srv.port, "/", None, args.connections, args.warmup, args.duration, srv)
        log(f"    {bare.result.rps:8.1f} req/s  p50 {bare.result.p50_ms:7.1f} ms  p99 {bare.result.p99_ms:7.1f} ms"
            f"  server CPU {bare.result.cpu_ms:.3f} ms/req ({bare.result.cpu_share:.0%} of a core)  load {bare.result.load:.1f}")
    return [bare, *cases], app_command, bare_command


# --- report -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def write_results(path: Path, argv: list[str], info: dict[str, str], generator: str, args: argparse.Namespace,
                  datasets: list[Dataset], results: dict[int, list[Case]], commands: tuple[str, str],
                  started: dt.datetime, elapsed: float) -> None:
    lines = [
        "# Tribune — load benchmark results",
        "",
        "Written by `bench/run.py`; rerun with `make bench` (or the command below). "
        "Analysis, CPU profile and proposed application changes: [PROFILE.md](PROFILE.md).",
        "",
        f"- Command: `{' '.join(argv)}`",
        f"- Code measured: {code_version(APP_ROOT)}",
        f"- Run: {started:%Y-%m-%d %H:%M} ({elapsed / 60:.1f} min in all)",
        f"- Machine: {info['nproc']} CPU ({info['cpu']}), {info['memory']} RAM, Linux {info['kernel']}",
        f"- Python {info['python']}, SQLite {info['sqlite']}; {info['libs']}",
        f"- App server: `{commands[0]}` (TRIBUNE_DATABASE_URL=sqlite:///bench/.work/tribune-N.db, random 64-char "
        "TRIBUNE_SECRET_KEY, TRIBUNE_ALLOWED_HOSTS=127.0.0.1, TRIBUNE_VAR_DIR=bench/.work)",
        f"- Ceiling: `{commands[1]}` (BENCH_BARE_FILE = the measured topic page 1, byte for byte)",
        f"- Load: {generator}, {args.connections} connections on 127.0.0.1, {args.warmup:g} s warm-up then "
        f"{args.duration:g} s measured per case, logged in as a seeded member (session cookie)",
        "- Load generator, servers and client share the same machine: all figures are for this 2-core box "
        "with wrk taking part of one core." if info["nproc"] == "2" else
        "- Load generator, servers and client share the same machine.",
        "",
        "## Data",
        "",
        "| posts | members | topics (~50 posts) | long topic | seed time | seed rate | DB file |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in datasets:
        lines.append(
            f"| {d.posts:,} | {d.members:,} | {d.topics:,} | {d.long_posts:,} posts ({d.long_pages} pages) | "
            f"{d.seed_seconds:.1f} s{' (' + d.seed_note + ')' if d.seed_note != 'fresh' else ''} | "
            f"{d.posts / d.seed_seconds:,.0f} posts/s | {d.db_bytes / 1e6:,.0f} MB |"
            if d.seed_seconds else f"| {d.posts:,} | {d.members:,} | {d.topics:,} | {d.long_posts:,} | ? | ? | ? |"
        )
    lines += [
        "",
        "Seeding is `python -m forum migrate`, then `python -m forum seed --members P/20 --federations 30 "
        "--topics (P-L)/50 --posts P-L` (the README's proportions), then `python -m forum seed --members 1 "
        "--federations 1 --topics 1 --posts L` for one long topic (L = 2 000 posts, 100 pages) whose last page is "
        "the deep page. The topic of page 1 is the middle topic (by id) of the forum body.",
        "",
        "## Figures",
        "",
        "| posts | page | bytes | req/s | p50 ms | p99 ms | errors | req/s ÷ bare | server CPU ms/req | "
        "bare CPU ÷ page CPU | load avg |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in datasets:
        cases = results[d.posts]
        bare_rps, bare_cpu = cases[0].result.rps, cases[0].result.cpu_ms
        for case in cases:
            r = case.result
            share = "—" if case.server == "bare" else f"{100 * r.rps / bare_rps:.1f} %"
            cpu_share = "—" if case.server == "bare" or not r.cpu_ms else f"{100 * bare_cpu / r.cpu_ms:.1f} %"
            lines.append(f"| {d.posts:,} | {case.label} | {case.bytes:,} | {r.rps:,.1f} | {r.p50_ms:.1f} | "
                         f"{r.p99_ms:.1f} | {r.errors} | {share} | {r.cpu_ms:.3f} | {cpu_share} | {r.load:.1f} |")
    lines += ["", "## Targets", ""]
    lines += ["| target | measured | verdict |", "| --- | --- | --- |"]
    for d in datasets:
        cases = {c.key: c for c in results[d.posts]}
        bare_rps = cases["bare"].result.rps
        bare_cpu = cases["bare"].result.cpu_ms
        for key in ("topic_p1", "topic_deep"):
            r = cases[key].result
            share = r.rps / bare_rps
            cpu_share = bare_cpu / r.cpu_ms if r.cpu_ms else 0.0
            lines.append(f"| {d.posts:,} posts: {key.replace('_', ' ')} req/s ÷ bare req/s ≥ 8 % | "
                         f"{100 * share:.1f} % ({r.rps:,.0f} / {bare_rps:,.0f}); by server CPU "
                         f"{100 * cpu_share:.1f} % ({bare_cpu:.3f} / {r.cpu_ms:.3f} ms) | "
                         f"{verdict(share >= TARGET_BARE_RATIO)} |")
        for key in ("topic_p1", "topic_deep", "category"):
            p99 = cases[key].result.p99_ms
            lines.append(f"| {d.posts:,} posts: {key.replace('_', ' ')} p99 < 100 ms | {p99:.1f} ms | "
                         f"{verdict(p99 < TARGET_P99_MS)} |")
    sizes = [d.posts for d in datasets]
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        by_small = {c.key: c for c in results[small]}
        by_large = {c.key: c for c in results[large]}
        for key in ("topic_p1", "topic_deep", "category"):
            a, b = by_small[key].result, by_large[key].result
            slow_rps = a.rps / b.rps if b.rps else float("inf")
            slow_cpu = b.cpu_ms / a.cpu_ms if a.cpu_ms else float("inf")
            lines.append(f"| {key.replace('_', ' ')}: {large:,} vs {small:,} posts within 1.2x | "
                         f"server CPU {a.cpu_ms:.2f} → {b.cpu_ms:.2f} ms/req ({slow_cpu:.2f}x); "
                         f"req/s {a.rps:,.0f} → {b.rps:,.0f} ({slow_rps:.2f}x slower); "
                         f"p99 {a.p99_ms:.1f} → {b.p99_ms:.1f} ms | {verdict(slow_cpu <= TARGET_SIZE_RATIO)} (on CPU) |")
    else:
        lines.append("| 1M / 10k within 1.2x | only one size measured (--quick) | — |")
    # The bench itself keeps about 1.5 CPUs busy (the server, wrk): more than nproc + 1 means other work.
    threshold = int(info["nproc"]) + 1
    busy = [f"{d.posts:,} posts, {c.key.replace('_', ' ')} (load {c.result.load:.1f})" for d in datasets
            for c in results[d.posts] if c.result.load > threshold]
    if busy:
        lines += ["", f"**Busy machine**: the 1-minute load average exceeded {threshold} (the CPUs plus one) during: "
                  + "; ".join(busy) + ". Other processes competed with the server and wrk there: req/s and "
                  "percentiles are low and noisy; the server's CPU ms per request moves much less."]
    lines += [
        "",
        "Percentiles are wrk's (`--latency`), measured from the client, closed loop: p50 ≈ connections ÷ req/s "
        "when the server is the bottleneck. \"errors\" counts non-2xx answers, socket errors and time-outs. "
        "\"server CPU ms/req\" is the uvicorn process's user + system CPU time (from /proc) during the measured "
        "seconds divided by the requests served: it does not depend on what else the machine runs, unlike req/s. "
        "\"bare CPU ÷ page CPU\" is the ratio req/s ÷ bare would have if the server were the only thing running: "
        "the figure to trust when the load average shows other work on the machine. \"load avg\" is the 1-minute "
        "load average around the measure; the bench alone accounts for about 1.5 of it.",
        "",
    ]
    lines += _checker_section()
    path.write_text("\n".join(lines))


def _checker_section() -> list[str]:
    """The provenance checker's time per draft (issue target: under 1 ms, DKIM aside)."""
    result = subprocess.run([sys.executable, str(BENCH / "checker.py"), "--rounds", "200"], capture_output=True,
                            text=True, cwd=ROOT)
    return ["## Provenance checker", "",
            "Command: `.venv/bin/python bench/checker.py --rounds 200` (the clean and held corpora of "
            "tests/data/provenance plus a draft with three structured quotes; DKIM aside). Target: under 1 ms "
            "per typical draft.", "", "```", result.stdout.strip() or result.stderr.strip(), "```", ""]


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only 10 000 posts")
    parser.add_argument("--sizes", default="10000,1000000", help="comma-separated post counts (default 10000,1000000)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per case (default 10, max 60)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per case (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32, max 256)")
    parser.add_argument("--generator", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep a database already seeded with the same plan instead of seeding it again")
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
    sizes = [10_000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1000:
        parser.error("sizes must be at least 1000 posts")
    args.duration = min(max(args.duration, 1.0), 60.0)
    args.warmup = min(max(args.warmup, 0.0), 30.0)
    args.connections = min(max(args.connections, 1), 256)

    python = Path(sys.executable)
    WORK.mkdir(parents=True, exist_ok=True)
    started, t0 = dt.datetime.now(), time.monotonic()
    info = machine_info(python)
    log(f"{info['nproc']} CPU {info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}")
    wrk = None
    if args.generator != "asyncio":
        wrk = find_wrk(install=not args.no_install)
        if wrk is None and args.generator == "wrk":
            print("wrk is required (--generator wrk): sudo apt-get install -y wrk", file=sys.stderr)
            return 2
    generator = "asyncio keep-alive client (bench/run.py)"
    if wrk:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("Copyright")[0].strip()
        generator = f"{version} (-t1)"
    secret = secrets.token_urlsafe(48)  # 64 characters, new at every run
    flags = [] if args.access_log else ["--no-access-log"]

    datasets: list[Dataset] = []
    results: dict[int, list[Case]] = {}
    commands = ("", "")
    for posts in sizes:
        data = prepare_dataset(python, secret, posts, args.reuse_db)
        datasets.append(data)
        cases, app_cmd, bare_cmd = bench_size(data, args, python, secret, wrk, flags)
        results[posts] = cases
        commands = (app_cmd, bare_cmd)
    given = argv if argv is not None else sys.argv[1:]
    shown = ["make bench", "(.venv/bin/python bench/run.py)"] if not given else [".venv/bin/python", "bench/run.py", *given]
    write_results(args.output, shown, info, generator, args, datasets, results, commands, started,
                  time.monotonic() - t0)
    log(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    print(args.output.read_text().split("## Figures", 1)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
