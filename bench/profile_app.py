"""CPU per request of Tribune's pages, without HTTP server or load generator.

Builds the real app in-process (forum.app.create_app, settings from TRIBUNE_* like
uvicorn --factory), opens a session for a seeded member through the real login
service, then calls the ASGI app directly, one request at a time, and prints the
mean time per request; with --profile, a cProfile of the same loop.

    TRIBUNE_DATABASE_URL=sqlite:///bench/.work/tribune-10000.db \
        .venv/bin/python bench/profile_app.py /t/81 '/t/161?page=100' /c/seed-0 --requests 500 --profile

Run it with another checkout's forum package first on sys.path (--root) to measure
a patched copy of the application against the same database.

On PostgreSQL the line also gives the CPU the database's backends spent per request
(user + system ticks from /proc/<pid>/stat of every client backend connected to the
database, so the server must run on this machine and nothing else should use the database).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

from asgi import call, session_cookie  # bench/asgi.py (this script's folder)


def backend_ticks(ctx) -> int | None:  # type: ignore[no-untyped-def]
    """CPU ticks of the PostgreSQL backends serving this database so far; None on SQLite or
    when /proc does not show them (a server on another machine)."""
    if ctx.db.is_sqlite:
        return None
    from sqlalchemy import text

    with ctx.db.connect() as connection:
        pids = list(connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")))
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="paths to request, e.g. /t/81")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="checkout whose forum package is measured (default: this one)")
    parser.add_argument("--requests", type=int, default=300, help="requests per path (default 300, max 20000)")
    parser.add_argument("--email", help="seeded member to log in as (default: the first seed member)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the loop (PROFILE_DUMP=file also saves it for pstats)")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (default tottime)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", type=Path, help="write the first response's body to this file (to compare trees)")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds; the best is printed")
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 20000))
    sys.path.insert(0, str(args.root))
    os.chdir(args.root)
    os.environ.setdefault("TRIBUNE_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("TRIBUNE_ALLOWED_HOSTS", "127.0.0.1")

    from sqlalchemy import select

    import forum
    from forum.app import create_app
    from forum.models import Member

    print(f"forum package: {Path(forum.__file__).parent}", file=sys.stderr)
    app = create_app()
    ctx = app.state.ctx
    with ctx.db.read() as session:
        email = args.email or session.scalar(
            select(Member.email).where(Member.email.like("seed%@tribune.example")).order_by(Member.id).limit(1))
    cookie = session_cookie(ctx, email, "profile_app")

    async def loop(path: str, count: int) -> None:
        for _ in range(count):
            await call(app, "GET", path, cookie)

    async def run() -> None:
        for path in args.paths:
            status, page = await call(app, "GET", path, cookie)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            size = len(page)
            if args.dump and not args.dump.exists():
                args.dump.write_bytes(page)
            await loop(path, 20)  # warm caches
            best = best_cpu = best_db = float("inf")
            for _ in range(args.repeat):
                ticks = backend_ticks(ctx)
                started, cpu = time.perf_counter(), time.process_time()
                await loop(path, args.requests)
                best = min(best, (time.perf_counter() - started) / args.requests)
                best_cpu = min(best_cpu, (time.process_time() - cpu) / args.requests)
                after = backend_ticks(ctx)
                if ticks is not None and after is not None:
                    best_db = min(best_db, (after - ticks) / os.sysconf("SC_CLK_TCK") / args.requests)
            db = f", PostgreSQL backends {best_db * 1e3:6.3f} ms CPU" if best_db != float("inf") else ""
            print(f"{path:28} {size:7,} bytes  {best * 1e3:7.3f} ms/request wall, {best_cpu * 1e3:7.3f} ms CPU "
                  f"({1 / best_cpu:7.1f} req/s on one core){db}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for path in args.paths:
                await loop(path, args.requests)
            profiler.disable()
            if os.environ.get("PROFILE_DUMP"):
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            stats = pstats.Stats(profiler)
            stats.sort_stats(args.sort).print_stats(args.top)

    asyncio.run(run())
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
