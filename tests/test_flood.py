"""Flood limits: posts, topics, edits, context notes and invitation emails, counted in the database,\nrefused in French with when to retry."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from starlette.testclient import TestClient

from forum.app import create_app
from forum.context import Context
from forum.models import Member, Post, PostRevision, RateEvent, Topic
from moderation.models import ContextNote
from tests.conftest import login
from tests.test_cli import _run
from tests.test_context_notes import _propose
from tests.test_quotes_http import submit
from tests.test_reports_http import _published_post


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
        assert second.status_code == 429 and second.headers["Retry-After"].isdigit()
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


def _events(world, name: str) -> int:
    with world.ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(RateEvent).where(RateEvent.key.startswith(name + ":"))) or 0


def test_edits_over_the_hourly_limit_are_refused_across_workers_with_the_draft_kept(world):
    post_id = _published_post(world)
    _, one = _limited_client(world, edits_per_hour=2)
    _, two = _limited_client(world, edits_per_hour=2)  # another "worker" on the same database
    edit_url = f"/p/{post_id}/modifier"
    with one, two:
        login(one, "lea@example.org")
        login(two, "lea@example.org")
        for client, n in ((one, 1), (two, 2)):
            response = submit(client, edit_url, edit_url, {"body": f"Version corrigée numéro {n}.", "quote_count": "0"})
            assert response.status_code == 303, response.text
        third = submit(one, edit_url, edit_url, {"body": "Troisième réécriture, de trop.", "quote_count": "0"})
        assert third.status_code == 429 and third.headers["Retry-After"].isdigit()
        assert "modifié vos messages 2 fois en une heure" in third.text and "Réessayez dans" in third.text
        assert "Troisième réécriture, de trop." in third.text  # the draft is kept in the form
    with world.ctx.db.read() as session:
        post = session.get(Post, post_id)
        assert post.source == "Version corrigée numéro 2." and post.revision_count == 3
        assert session.scalar(select(func.count()).select_from(PostRevision).where(PostRevision.post_id == post_id)) == 3
    assert _events(world, "edit") == 2  # the refusal itself is not counted


def test_context_note_proposals_over_the_daily_limit_are_refused_across_workers(world):
    posts = [_published_post(world) for _ in range(3)]
    world.member("max")
    _, one = _limited_client(world, notes_per_day=2)
    _, two = _limited_client(world, notes_per_day=2)
    with one, two:
        login(one, "max@example.org")
        login(two, "max@example.org")
        assert _propose(one, world, posts[0], "Cette phrase date de 2012, hors contexte.").status_code == 303
        assert _propose(two, world, posts[1], "Le chiffre cité vient du rapport de 2019.").status_code == 303
        third = _propose(one, world, posts[2], "Une troisième note proposée le même jour.")
    assert third.status_code == 429 and third.headers["Retry-After"].isdigit()
    assert "proposé 2 notes de contexte en 24 heures" in third.text and "Réessayez dans" in third.text
    assert "Une troisième note proposée le même jour." in third.text  # the draft is given back
    assert "Traceback" not in third.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ContextNote)) == 2
        assert session.scalar(select(ContextNote.id).where(ContextNote.post_id == posts[2])) is None
    assert _events(world, "note") == 2


def test_invitation_emails_to_one_address_are_limited_across_command_runs(world, mailbox, monkeypatch):
    world.member("nina", password=None)
    world.member("omar", password=None)
    monkeypatch.setenv("TRIBUNE_INVITATIONS_PER_DAY", "1")
    first = _run(world.ctx, "invite", "nina@example.org")  # two separate processes, one database
    assert first.returncode == 0 and "Invitations envoyées : 1." in first.stdout, first.stderr
    mailbox.wait_for("nina@example.org")
    second = _run(world.ctx, "invite", "nina@example.org", "omar@example.org")
    assert second.returncode == 1
    assert "nina@example.org a déjà reçu 1 invitation en 24 heures. Réessayez dans 24 heures." in second.stderr
    assert "Invitations envoyées : 1, non envoyées (limite) : 1." in second.stdout
    mailbox.wait_for("omar@example.org")  # the limit is per address: the other member is invited
    assert sum("nina@example.org" in str(m["To"]) for m in mailbox.messages) == 1
    assert _events(world, "invitation") == 2
    with world.ctx.db.read() as session:
        nina = session.scalar(select(Member).where(Member.email == "nina@example.org"))
        assert nina.password_hash is None
