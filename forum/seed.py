"""Bulk data at party scale for benchmarks: `python -m forum seed --posts 1000000`.

Bodies are cooked once from a small pool (sanitising a million posts one by one
would take longer than the benchmark), then inserted with batched executemany.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select, text

from forum.context import Context
from forum.markup import render_markdown
from forum.models import (
    Category, Federation, Member, MemberStatus, ModerationPolicy, Post, PostKind, PostRevision, PostStatus, Topic,
)
from forum.progress import Progress
from forum.security import hash_password

BATCH = 5000
WORDS = (
    "fédération section militants candidature programme logement transports écologie emploi "
    "démocratie débat motion congrès vote liste région commune budget santé école jeunesse "
    "retraites solidarité campagne terrain tract réunion proposition amendement"
).split()


def _bodies(rng: random.Random, count: int = 200) -> list[tuple[str, str]]:
    bodies = []
    for _ in range(count):
        paragraphs = []
        for _ in range(rng.randint(1, 4)):
            words = rng.choices(WORDS, k=rng.randint(15, 60))
            paragraphs.append(" ".join(words).capitalize() + ".")
        if rng.random() < 0.3:
            paragraphs.append("- " + "\n- ".join(rng.choices(WORDS, k=3)))
        source = "\n\n".join(paragraphs)
        bodies.append((source, render_markdown(source)))
    return bodies


def seed(ctx: Context, *, members: int, federations: int, topics: int, posts: int, seed_value: int = 42) -> None:
    """Add federations, members, categories, topics and posts in bulk, with a progress line."""
    rng = random.Random(seed_value)
    bodies = _bodies(rng)
    now = dt.datetime.now(dt.timezone.utc)
    password = hash_password("seed-password-not-for-production")
    with ctx.db.write() as session:
        base_fed = session.scalar(select(func.count()).select_from(Federation)) or 0
        session.execute(insert(Federation), [
            {"slug": f"federation-{base_fed + i}", "name": f"Fédération {base_fed + i}"} for i in range(federations)
        ])
        fed_ids = list(session.scalars(select(Federation.id)))
        base_cat = session.scalar(select(func.count()).select_from(Category)) or 0
        session.execute(insert(Category), [
            {"slug": f"seed-{base_cat + i}", "name": f"Catégorie {base_cat + i}", "description": "Données de test.",
             "position": 100 + i, "moderation_policy": ModerationPolicy.GENERAL, "topic_count": 0, "post_count": 0}
            for i in range(5)
        ])
        cat_ids = list(session.scalars(select(Category.id).where(Category.slug.like("seed-%"))))
        base_member = session.scalar(select(func.max(Member.id))) or 0
        bar = Progress("membres", members)
        for start in range(0, members, BATCH):
            rows = [
                {"email": f"seed{base_member + i}@tribune.example", "first_name": f"Prénom{i}", "last_name": f"Nom{i}",
                 "federation_id": rng.choice(fed_ids), "status": MemberStatus.ACTIVE, "password_hash": password,
                 "membership_number": f"S{base_member + i:08d}", "created_at": now}
                for i in range(start, min(start + BATCH, members))
            ]
            session.execute(insert(Member), rows)
            bar.update(start + len(rows))
        bar.finish()
        member_ids = list(session.scalars(select(Member.id)))
    # Posts spread over topics; each topic's posts are numbered 1..n.
    per_topic = [posts // topics] * topics
    for i in range(posts % topics):
        per_topic[i] += 1
    bar = Progress("messages", posts)
    done = 0
    topic_rows: list[dict[str, object]] = []
    post_rows: list[dict[str, object]] = []
    with ctx.db.write() as session:
        base_topic = session.scalar(select(func.max(Topic.id))) or 0
        base_post = session.scalar(select(func.max(Post.id))) or 0
        for index, count in enumerate(per_topic):
            topic_id = base_topic + index + 1
            started = now - dt.timedelta(minutes=(topics - index) * 10)
            topic_rows.append({
                "id": topic_id, "category_id": cat_ids[index % len(cat_ids)], "author_id": rng.choice(member_ids),
                "title": " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize(), "created_at": started,
                "last_post_at": started + dt.timedelta(seconds=count), "post_count": count, "locked": False,
            })
            for number in range(1, count + 1):
                base_post += 1
                source, html = bodies[rng.randrange(len(bodies))]
                post_rows.append({
                    "id": base_post, "topic_id": topic_id, "number": number, "author_id": rng.choice(member_ids),
                    "kind": PostKind.MESSAGE, "status": PostStatus.PUBLISHED, "source": source, "html": html,
                    "created_at": started + dt.timedelta(seconds=number), "revision_count": 1,
                })
            if len(post_rows) >= BATCH or index == len(per_topic) - 1:
                session.connection().execute(insert(Topic), topic_rows)
                session.connection().execute(insert(Post), post_rows)
                session.connection().execute(insert(PostRevision), [
                    {"post_id": r["id"], "number": 1, "editor_id": r["author_id"], "source": r["source"],
                     "html": r["html"], "created_at": r["created_at"]} for r in post_rows
                ])
                done += len(post_rows)
                bar.update(done)
                topic_rows, post_rows = [], []
        for cat_id in cat_ids:
            session.execute(
                text("UPDATE categories SET topic_count = (SELECT count(*) FROM topics WHERE category_id = :c), "
                     "post_count = (SELECT coalesce(sum(post_count), 0) FROM topics WHERE category_id = :c) WHERE id = :c"),
                {"c": cat_id},
            )
        if not ctx.db.is_sqlite:
            # Explicit ids were inserted: move the sequences past them.
            for table in ("topics", "posts"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
    bar.finish()
