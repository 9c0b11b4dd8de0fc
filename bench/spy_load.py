"""Where the server's CPU goes under load: py-spy samples uvicorn while wrk loads one page.

Uses a database seeded by bench/run.py (bench/.work/tribune-N.db). py-spy is not a
project dependency: put it in a scratch virtualenv and pass its path.

    python3 -m venv /tmp/spy && /tmp/spy/bin/pip install py-spy
    .venv/bin/python bench/spy_load.py /t/81 --py-spy /tmp/spy/bin/py-spy --posts 10000

Prints req/s, the server's CPU ms per request, then the functions holding the most
samples (inclusive), and saves the raw stacks (py-spy's "raw" format, for a flame graph)
under bench/.work/.
"""

from __future__ import annotations

import argparse
import collections
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402
import run as bench  # noqa: E402


# Frames every sample goes through (interpreter start, click, uvicorn, the event loop): not shown.
_PLUMBING = {"<frozen runpy>", "__main__.py", "core.py", "main.py", "server.py", "_compat.py", "runners.py",
             "base_events.py", "events.py"}


def summarise(raw: Path, top: int) -> None:
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            label = f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name
            if label not in seen:
                seen.add(label)
                inclusive[label] += int(count)
    print(f"{total} samples; inclusive share of the server's samples:")
    shown = [(label, count) for label, count in inclusive.most_common()
             if label.rsplit("(", 1)[-1].rstrip(")") not in _PLUMBING]
    for label, count in shown[:top]:
        print(f"{100 * count / total:5.1f} %  {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="page to load, e.g. /t/81 or /c/seed-0")
    parser.add_argument("--posts", type=int, default=10_000, help="which seeded database (default 10000)")
    parser.add_argument("--db", type=Path, help="another SQLite file seeded the same way (e.g. a copy)")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable")
    parser.add_argument("--seconds", type=float, default=10.0, help="sampled seconds (default 10, max 60)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--app-root", type=Path, default=bench.ROOT, help="checkout whose forum is served")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 60.0)
    wrk = shutil.which("wrk")
    if not wrk or not args.py_spy:
        print("needs wrk (apt-get install -y wrk) and py-spy (--py-spy PATH)", file=sys.stderr)
        return 2
    bench.APP_ROOT = args.app_root.resolve()
    db = args.db or bench.WORK / f"tribune-{args.posts}.db"
    if not db.exists():
        print(f"{db} is missing: run bench/run.py first", file=sys.stderr)
        return 2
    python = bench.ROOT / ".venv" / "bin" / "python"
    secret = secrets.token_urlsafe(48)
    data = bench.finish_dataset(python, secret, bench.Dataset(posts=args.posts, database="sqlite",
                                                              url=f"sqlite:///{db.resolve()}", db_path=db))
    env = bench.base_env(secret, data.url)
    raw = bench.WORK / "spy-raw.txt"
    port = loadgen.free_port()
    cmd = [str(python), "-m", "uvicorn", "--factory", "forum.app:create_app", "--host", loadgen.HOST,
           "--port", str(port), "--workers", "1", "--no-access-log"]
    srv = loadgen.Server("spy", cmd, env, bench.APP_ROOT, bench.WORK / "server-spy.log", "/connexion", port, "")
    try:
        load = loadgen.Load([args.path], loadgen.tribune_login(port, data.login_email, bench.SEED_PASSWORD))
        script = loadgen.lua_script(load, bench.WORK / "wrk-spy.lua")
        loadgen.run_wrk(wrk, port, load, args.connections, 2, script)
        spy = subprocess.Popen([args.py_spy, "record", "-p", str(srv.proc.pid), "-d", str(int(seconds)), "-r", "200",
                                "-f", "raw", "-o", str(raw), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu = srv.cpu_seconds()
        result = loadgen.run_wrk(wrk, port, load, args.connections, seconds, script)
        cpu = srv.cpu_seconds() - cpu
        spy.wait(timeout=seconds + 30)
    finally:
        srv.stop()
    print(f"{args.path}: {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
          f"server CPU {1000 * cpu / max(result.requests, 1):.3f} ms/request")
    summarise(raw, args.top)
    print(f"raw stacks: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
