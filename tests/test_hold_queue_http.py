"""The hold queue: moderators decide with a reason, authors are told in the forum and by email."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from forum.models import Category, Federation, Notification, Post, PostStatus
from moderation.models import Decision, ReviewItem
from tests.conftest import csrf_of, login
from tests.test_quotes_http import PASTED_COMPILATION, submit


def _held_post(client, world, author: str = "lea", category: str = "debat") -> tuple[int, int]:
    login(client, f"{author}@example.org")
    response = submit(client, f"/c/{category}/nouveau", f"/c/{category}/nouveau",
                      {"title": "Ce que pense vraiment Jean Dupont", "body": PASTED_COMPILATION, "quote_count": "0"})
    assert response.status_code == 303
    client.cookies.clear()
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).order_by(Post.id.desc()))
        item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.post_id == post_id))
    return post_id, item_id


def _paris_category(world) -> int:  # type: ignore[no-untyped-def]
    """A category of the Paris federation ("paris-local"); the federation's id."""
    with world.ctx.db.write() as session:
        paris = session.scalar(select(Federation).where(Federation.slug == "paris"))
        session.add(Category(slug="paris-local", name="Vie locale Paris", description="", position=5,
                             federation_id=paris.id))
        return paris.id


def _decide(client, item_id: int, **fields: str):
    token = csrf_of(client.get(f"/moderation/elements/{item_id}").text)
    return client.post(f"/moderation/elements/{item_id}/decision", data={"csrf_token": token, **fields})


def test_queue_lists_held_posts_oldest_first_with_their_reasons(client, world):
    world.member("lea")
    world.member("karim", role="moderator")
    _held_post(client, world)
    login(client, "lea@example.org")
    submit(client, "/c/debat/nouveau", "/c/debat/nouveau",
           {"title": "Second message retenu ici", "body": PASTED_COMPILATION, "quote_count": "0"})
    client.cookies.clear()
    login(client, "karim@example.org")
    page = client.get("/moderation")
    assert page.status_code == 200
    assert page.text.index("Ce que pense vraiment") < page.text.index("Second message retenu")
    assert "tweet" in page.text.lower()


def test_empty_queue_says_so(client, world):
    world.member("karim", role="moderator")
    login(client, "karim@example.org")
    assert "La file est vide" in client.get("/moderation").text


def test_moderator_approves_with_a_reason_and_the_author_is_emailed(client, world, mailbox):
    world.member("lea")
    world.member("karim", role="moderator")
    post_id, item_id = _held_post(client, world)
    login(client, "karim@example.org")
    item_page = client.get(f"/moderation/elements/{item_id}")
    assert "Pourquoi ce cas est ouvert" in item_page.text and "Jean Dupont @jdupont" in item_page.text
    response = _decide(client, item_id, action="approve", reason_code="source_verifiee",
                       reason_text="Tweets vérifiés un à un par la modération.")
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.PUBLISHED
        decision = session.scalars(select(Decision)).one()
        assert decision.reason_text == "Tweets vérifiés un à un par la modération."
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
    email = mailbox.wait_for("lea@example.org")
    body = mailbox.body(email)
    assert "approuvé" in body and "Tweets vérifiés un à un" in body
    assert "La file est vide" in client.get("/moderation").text


def test_decision_without_reason_is_refused_and_changes_nothing(client, world, mailbox):
    world.member("lea")
    world.member("karim", role="moderator")
    post_id, item_id = _held_post(client, world)
    login(client, "karim@example.org")
    response = _decide(client, item_id, action="reject", reason_code="")
    assert response.status_code == 422 and "Choisissez un motif" in response.text
    other = _decide(client, item_id, action="reject", reason_code="autre", reason_text="  ")
    assert other.status_code == 422 and "Précisez le motif" in other.text
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.HELD
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    assert mailbox.messages == []


def test_reject_keeps_the_post_out_of_sight_and_tells_how_to_appeal(client, world, mailbox):
    world.member("lea")
    world.member("karim", role="moderator")
    post_id, item_id = _held_post(client, world)
    login(client, "karim@example.org")
    assert _decide(client, item_id, action="reject", reason_code="montage").status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.REJECTED
    assert "appel" in mailbox.body(mailbox.wait_for("lea@example.org"))


def test_request_changes_then_edit_goes_back_to_the_queue(client, world, mailbox):
    world.member("lea")
    world.member("karim", role="moderator")
    post_id, item_id = _held_post(client, world)
    login(client, "karim@example.org")
    assert _decide(client, item_id, action="request_changes", reason_code="citation_non_sourcee",
                   reason_text="Ajoutez le lien de chaque tweet.").status_code == 303
    client.cookies.clear()
    login(client, "lea@example.org")
    edited = submit(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier",
                    {"body": "J’ai retiré les tweets collés.", "quote_count": "0"})
    assert edited.status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.HELD  # back to a moderator, not self-published
        open_items = session.scalars(select(ReviewItem).where(ReviewItem.status == "open")).all()
    assert len(open_items) == 1 and open_items[0].id != item_id


def test_members_cannot_reach_the_queue_or_decide(client, world):
    world.member("lea")
    world.member("max")
    _, item_id = _held_post(client, world)
    login(client, "max@example.org")
    assert client.get("/moderation").status_code == 403
    assert client.get(f"/moderation/elements/{item_id}").status_code == 403
    token = csrf_of(client.get("/").text)
    forced = client.post(f"/moderation/elements/{item_id}/decision",
                         data={"csrf_token": token, "action": "approve", "reason_code": "conforme"})
    assert forced.status_code == 403
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_federation_moderator_acts_only_on_their_federation(client, world):
    _paris_category(world)
    world.member("lea")
    world.member("remi", role="moderator", federation="rhone", moderates="rhone")
    world.member("paula", role="moderator", federation="paris", moderates="paris")
    _, national_item = _held_post(client, world, category="debat")
    _, paris_item = _held_post(client, world, category="paris-local")
    login(client, "remi@example.org")
    listing = client.get("/moderation").text
    assert f"/moderation/elements/{paris_item}" not in listing and f"/moderation/elements/{national_item}" not in listing
    assert client.get(f"/moderation/elements/{paris_item}").status_code == 403
    token = csrf_of(client.get("/").text)
    forced = client.post(f"/moderation/elements/{paris_item}/decision",
                         data={"csrf_token": token, "action": "approve", "reason_code": "conforme"})
    assert forced.status_code == 403
    client.cookies.clear()
    login(client, "paula@example.org")
    assert f"/moderation/elements/{paris_item}" in client.get("/moderation").text
    assert _decide(client, paris_item, action="approve", reason_code="conforme").status_code == 303


def test_items_opened_before_the_federation_column_reach_their_federations_moderator(client, world):
    """Migration 0008 gives items opened before review_items.federation_id existed (0003) their
    category's federation: the queue's scope reads that column now, and must miss none."""
    from alembic import command

    from forum.migrate import alembic_config

    paris_id = _paris_category(world)
    world.member("lea")
    world.member("paula", role="moderator", federation="paris", moderates="paris")
    _, old_item = _held_post(client, world, category="paris-local")
    with world.ctx.db.write() as session:
        session.execute(update(ReviewItem).where(ReviewItem.id == old_item).values(federation_id=None))
    config = alembic_config()
    for target in ("0007", "head"):
        with world.ctx.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if target == "0007" else command.upgrade)(config, target)
    with world.ctx.db.read() as session:
        assert session.get(ReviewItem, old_item).federation_id == paris_id
    login(client, "paula@example.org")
    assert f"/moderation/elements/{old_item}" in client.get("/moderation").text


def test_moderator_is_recused_from_their_own_post_even_by_direct_post(client, world):
    world.member("karim", role="moderator")
    _, item_id = _held_post(client, world, author="karim")
    login(client, "karim@example.org")
    page = client.get(f"/moderation/elements/{item_id}")
    assert "récusé" in page.text and "vous en êtes l’auteur" in page.text
    assert 'action="/moderation/elements/' not in page.text
    token = csrf_of(page.text)
    forced = client.post(f"/moderation/elements/{item_id}/decision",
                         data={"csrf_token": token, "action": "approve", "reason_code": "conforme"})
    assert forced.status_code == 403 and "récusé" in forced.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_author_sees_the_notification_in_the_forum(client, world):
    world.member("lea")
    world.member("karim", role="moderator")
    _, item_id = _held_post(client, world)
    login(client, "karim@example.org")
    _decide(client, item_id, action="approve", reason_code="conforme")
    client.cookies.clear()
    login(client, "lea@example.org")
    home = client.get("/")
    assert re.search(r'<span class="count"[^>]*>1</span>', home.text)
    listing = client.get("/notifications")
    assert "a été approuvé et publié" in listing.text
    client.post("/notifications", data={"csrf_token": csrf_of(listing.text)})
    assert '<span class="count"' not in client.get("/").text


def test_queue_pages_through_every_item_once_oldest_first(client, world):
    import datetime as dt
    import html

    from forum.services import posting

    lea = world.member("lea")
    world.member("karim", role="moderator")
    start = dt.datetime(2026, 3, 1, 9, 0, 0, 250_000, tzinfo=dt.timezone.utc)
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        topic = posting.create_topic(world.ctx, session, member, "general", "Un sujet très signalé", "Message 0")
        for n in range(1, 30):
            posting.reply(world.ctx, session, member, topic.id, f"Message {n}")
        posts = list(session.scalars(select(Post.id).where(Post.topic_id == topic.id).order_by(Post.id)))
        # Opened in the reverse order of the ids, three at the same instant: the keyset's tie on
        # opened_at is broken by the id, across the page boundary too (items 25 and 26 share it).
        for n, post_id in enumerate(posts):
            session.add(ReviewItem(post_id=post_id, category_id=topic.category_id, opened_at=start - dt.timedelta(
                minutes=n // 3), reasons=[{"source": "checker", "code": "test", "message": f"Cas {n:02d}"}]))
    with world.ctx.db.read() as session:
        expected = list(session.scalars(select(ReviewItem.id).order_by(ReviewItem.opened_at, ReviewItem.id)))
    assert len(expected) == 30
    login(client, "karim@example.org")
    seen, path, pages = [], "/moderation", 0
    while path:
        page = client.get(path)
        assert page.status_code == 200
        seen += [int(i) for i in re.findall(r'<h2><a href="/moderation/elements/(\d+)"', page.text)]
        found = re.search(r'rel="next" href="([^"]+)"', page.text)
        path = html.unescape(found.group(1)) if found else None
        pages += 1
    assert pages == 2 and seen == expected
