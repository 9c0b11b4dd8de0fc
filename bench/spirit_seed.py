"""The peer's data: run by bench/run.py with the Python of Spirit's own virtual environment.

    DJANGO_SETTINGS_MODULE=bench_spirit_settings PYTHONPATH=bench/.work/spirit \
        bench/.work/spirit-venv/bin/python bench/spirit_seed.py seed --posts 10000 --bodies bodies.json
    ... bench/spirit_seed.py session --username seed42     # prints a logged-in session key
    ... bench/spirit_seed.py locate                        # prints the measured topic as JSON

`seed` migrates, then adds categories, users (with their Spirit profile), topics of ~50
comments and one long topic, in bulk: users, profiles and topics through the ORM's
bulk_create, comments (the million rows) with executemany on the same connection. Comment
Markdown sources are the ones bench/run.py takes from Tribune's seed pool (same text, same
length), each cooked once by Spirit's own Markdown renderer, as Spirit would at save.
Nothing here imports Tribune: this file only needs Django and Spirit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from spirit.category.models import Category  # noqa: E402
from spirit.comment.models import Comment  # noqa: E402
from spirit.core.utils.markdown import Markdown  # noqa: E402
from spirit.topic.models import Topic  # noqa: E402
from spirit.user.models import UserProfile  # noqa: E402

BATCH = 5000
PASSWORD = "seed-password-not-for-production"
User = get_user_model()


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-6)
    left = (total - done) / rate if rate else 0
    sys.stderr.write(f"\r[spirit] {label} {done:,}/{total:,} ({100 * done / max(total, 1):5.1f} %) "
                     f"· {rate:,.0f}/s · {left:4.0f} s left ")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def seed(posts: int, bodies_file: str, per_topic: int, long_posts: int, members: int) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(42)
    sources = json.loads(open(bodies_file, encoding="utf-8").read())
    pool = [(source, Markdown().render(source)) for source in sources]
    now = dt.datetime.now(dt.timezone.utc)
    password = make_password(PASSWORD)
    with transaction.atomic():
        cats = Category.objects.bulk_create([
            Category(title=f"Category {i}", slug=f"category-{i}", description="Seeded data.", sort=100 + i)
            for i in range(5)
        ])
        started = time.monotonic()
        base = User.objects.count()
        for start in range(0, members, BATCH):
            users = User.objects.bulk_create([
                User(username=f"seed{base + i}", email=f"seed{base + i}@spirit.example", password=password,
                     first_name=f"Prénom{i}", last_name=f"Nom{i}", date_joined=now)
                for i in range(start, min(start + BATCH, members))
            ])
            UserProfile.objects.bulk_create([
                UserProfile(user=u, nickname=u.username, is_verified=True, last_seen=now) for u in users
            ])
            progress("users", start + len(users), members, started)
        user_ids = list(User.objects.values_list("id", flat=True))
    body = posts - long_posts
    topics = max(1, body // per_topic)
    counts = [body // topics] * topics
    for i in range(body % topics):
        counts[i] += 1
    counts.append(long_posts)
    table = Comment._meta.db_table
    columns = ["user_id", "topic_id", "comment", "comment_html", "action", "date", "is_removed", "is_modified",
               "ip_address", "modified_count", "likes_count"]
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})")
    started = time.monotonic()
    done = 0
    with transaction.atomic():
        rows: list[tuple[object, ...]] = []
        pending: list[Topic] = []
        for index, count in enumerate(counts):
            begun = now - dt.timedelta(minutes=(len(counts) - index) * 10)
            title = " ".join(rng.choices(sources[index % len(sources)].split()[:12], k=6)).capitalize()[:200]
            pending.append(Topic(user_id=rng.choice(user_ids), category=cats[index % len(cats)], title=title,
                                 slug=slugify(title)[:50] or "topic", date=begun, last_active=begun,
                                 comment_count=count))
            if len(pending) >= 1000 or index == len(counts) - 1:
                Topic.objects.bulk_create(pending)
                with connection.cursor() as cursor:
                    for topic in pending:
                        for number in range(topic.comment_count):
                            source, html = pool[rng.randrange(len(pool))]
                            rows.append((rng.choice(user_ids), topic.pk, source, html, 0,
                                         topic.date + dt.timedelta(seconds=number), False, False, None, 0, 0))
                            if len(rows) >= BATCH:
                                cursor.executemany(sql, rows)
                                done += len(rows)
                                rows = []
                                progress("comments", done, posts, started)
                    if rows:
                        cursor.executemany(sql, rows)
                        done += len(rows)
                        rows = []
                        progress("comments", done, posts, started)
                pending = []
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def session(username: str) -> None:
    """A session exactly as django.contrib.auth.login() leaves it."""
    user = User.objects.get(username=username)
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "spirit.user.auth.backends.UsernameAuthBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    print(store.session_key)


def locate() -> None:
    """The middle topic of the body (by id): the measured topic page."""
    ids = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
    body = ids[:-1] or ids
    topic = Topic.objects.get(pk=body[len(body) // 2])
    users = User.objects.count()
    print(json.dumps({"topic": topic.pk, "path": topic.get_absolute_url(), "topics": len(ids),
                      "comments": Comment.objects.count(), "users": users,
                      "username": f"seed{users // 2}", "title": topic.title}))


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--posts", type=int, required=True)
    s.add_argument("--bodies", required=True)
    s.add_argument("--per-topic", type=int, default=50)
    s.add_argument("--long", type=int, default=0)
    s.add_argument("--members", type=int, required=True)
    sess = sub.add_parser("session")
    sess.add_argument("--username", required=True)
    sub.add_parser("locate")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.posts, args.bodies, args.per_topic, args.long, args.members)
    elif args.command == "session":
        session(args.username)
    else:
        locate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
