"""Flood limits: seconds between posts and topics a day, counted in the database, in French."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from starlette.testclient import TestClient

from forum.app import create_app
from forum.context import Context
from forum.models import Post, Topic
from tests.conftest import login
from tests.test_quotes_http import submit


def _limited_client(world, **limits):
    settings = dataclasses.replace(world.ctx.settings, **limits)
    ctx = Context.build(settings, world.ctx.db)
    ctx.clock = world.ctx.clock
    return ctx, TestClient(create_app(context=ctx), base_url="http://testserver", follow_redirects=False)


def test_a_second_post_too_soon_is_refused_with_the_draft_kept(world):
    world.member("lea")
    ctx, client = _limited_client(world, seconds_between_posts=30)
    with client:
        login(client, "lea@example.org")
        first = submit(client, "/c/general/nouveau", "/c/general/nouveau",
                       {"title": "Premier sujet du jour", "body": "Bonjour à tous.", "quote_count": "0"})
        assert first.status_code == 303
        topic_url = first.headers["location"]
        second = submit(client, topic_url, topic_url + "/repondre", {"body": "Une réponse trop rapide", "quote_count": "0"})
        assert second.status_code == 429
        assert "attendez un peu" in second.text and "Réessayez dans" in second.text
        assert "Une réponse trop rapide" in second.text  # the draft is kept
        now = dt.datetime.now(dt.timezone.utc)
        ctx.clock = lambda: now + dt.timedelta(seconds=31)
        world.ctx.clock = ctx.clock
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 1


def test_topics_per_day_counts_across_workers(world):
    world.member("lea")
    _, one = _limited_client(world, topics_per_day=2, seconds_between_posts=0)
    _, two = _limited_client(world, topics_per_day=2, seconds_between_posts=0)  # another "worker"
    with one, two:
        login(one, "lea@example.org")
        login(two, "lea@example.org")
        for client, n in ((one, 1), (two, 2)):
            response = submit(client, "/c/general/nouveau", "/c/general/nouveau",
                              {"title": f"Sujet numéro {n}", "body": "Texte.", "quote_count": "0"})
            assert response.status_code == 303
        third = submit(one, "/c/general/nouveau", "/c/general/nouveau",
                       {"title": "Sujet numéro 3", "body": "Texte.", "quote_count": "0"})
        assert third.status_code == 429 and "2 sujets en 24 heures" in third.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Topic)) == 2
