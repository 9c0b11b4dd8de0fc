"""CPU per reply POST, without HTTP server or load generator.

Copies a seeded SQLite database (never written in place) to a scratch directory, builds
the real app in-process (forum.app.create_app, flood limits off like bench/run.py), logs
in a few seeded members through the real login service, reads each one's CSRF token from
the reply form of a topic page, then POSTs replies (the bench's form: csrf_token,
action=publish, quote_count=0, body) straight through the ASGI app and prints the CPU
time per reply (time.process_time, every thread); with --profile, a cProfile of the loop.

    .venv/bin/python bench/profile_post.py --posts 300 --repeat 3 --profile

Every reply must answer 303 (the redirect to the new post); anything else stops the run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import run as bench  # bench/run.py (this script's folder): the bench's flood settings and replies
from asgi import call, session_cookie  # bench/asgi.py

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "bench/.work/tribune-10000.db",
                        help="seeded database to copy (read only)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose forum package is measured")
    parser.add_argument("--posts", type=int, default=300, help="replies per timing round (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds; the best and the median are printed")
    parser.add_argument("--members", type=int, default=8, help="members posting in turn (default 8)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more round")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (default tottime)")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"{args.source}: no such database (run bench/run.py once to seed it)")

    scratch = Path(tempfile.mkdtemp(prefix="tribune-profile-post-"))
    database = scratch / "tribune.db"
    shutil.copyfile(args.source, database)
    for suffix in ("-wal", "-shm"):  # a WAL not yet checkpointed holds part of the data
        if Path(f"{args.source}{suffix}").exists():
            shutil.copyfile(f"{args.source}{suffix}", f"{database}{suffix}")
    sys.path.insert(0, str(args.root))
    os.chdir(args.root)
    os.environ.update(bench.FLOOD_OFF)
    os.environ.update(TRIBUNE_DATABASE_URL=f"sqlite:///{database}", TRIBUNE_VAR_DIR=str(scratch),
                      TRIBUNE_EMAIL_BACKEND="console")
    os.environ.setdefault("TRIBUNE_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("TRIBUNE_ALLOWED_HOSTS", "127.0.0.1")

    from sqlalchemy import select

    import forum
    from forum.app import create_app
    from forum.models import Member, Topic

    print(f"forum package: {Path(forum.__file__).parent}, database copy: {database}", file=sys.stderr)
    app = create_app()
    ctx = app.state.ctx
    with ctx.db.read() as session:
        emails = list(session.scalars(select(Member.email).where(Member.email.like("seed%@tribune.example"))
                                      .order_by(Member.id).limit(args.members)))
        topics = list(session.scalars(select(Topic.id).where(Topic.locked.is_(False)).order_by(Topic.id).limit(16)))
    cookies = [session_cookie(ctx, email, "profile_post") for email in emails]
    bench.APP_ROOT = args.root
    texts = bench.post_bodies()  # the bench's own replies

    async def posters() -> list[tuple[bytes, str, int]]:
        out = []
        for i, cookie in enumerate(cookies):
            topic = topics[i % len(topics)]
            status, page = await call(app, "GET", f"/t/{topic}", cookie)
            found = CSRF.search(page)
            if status != 200 or not found:
                raise SystemExit(f"/t/{topic}: HTTP {status}, no CSRF token in the page")
            out.append((cookie, found.group(1).decode(), i))
        return out

    counter = 0

    async def loop(who: list[tuple[bytes, str, int]], count: int) -> None:
        nonlocal counter
        for _ in range(count):
            counter += 1
            cookie, token, i = who[counter % len(who)]
            topic = topics[(i + counter // len(who)) % len(topics)]
            form = f"csrf_token={token}&action=publish&quote_count=0&body={texts[counter % len(texts)]}+%28{counter}%29"
            status, _ = await call(app, "POST", f"/t/{topic}/repondre", cookie, form.encode())
            if status != 303:
                raise SystemExit(f"reply to /t/{topic}: HTTP {status}")

    async def run() -> None:
        who = await posters()
        await loop(who, 30)  # warm caches
        rounds = []
        for _ in range(args.repeat):
            cpu = time.process_time()
            await loop(who, args.posts)
            rounds.append((time.process_time() - cpu) / args.posts * 1e3)
        rounds.sort()
        print(f"reply POST: best {rounds[0]:.3f} ms CPU, median {rounds[len(rounds) // 2]:.3f} ms "
              f"({', '.join(f'{r:.3f}' for r in rounds)}; {args.posts} posts per round)")
        if args.profile:
            # cProfile sees one thread only: run the views' threadpool work inline for this round.
            import forum.views.forum as views

            async def inline(func: Any, *a: Any, **k: Any) -> Any:
                return func(*a, **k)

            views.in_thread = inline
            profiler = cProfile.Profile()
            profiler.enable()
            await loop(who, args.posts)
            profiler.disable()
            if os.environ.get("PROFILE_DUMP"):
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)

    try:
        asyncio.run(run())
    finally:
        ctx.db.dispose()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
