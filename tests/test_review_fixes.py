"""Regressions for what a security review found: forged "quoted person", held versions leaking
through the history, held statements inviting, unsafe links in internal quotes, signatures on a
version the signer never saw."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.models import Notification, Post, PostStatus, Quote
from forum.services import posting
from tests.conftest import csrf_of, login
from tests.test_quotes_http import PASTED_COMPILATION, quote_fields, submit


def _as(client, key: str) -> None:
    client.cookies.clear()
    login(client, f"{key}@example.org")


def _bob_post(world) -> int:
    bob = world.ids.get("bob") or world.member("bob")
    with world.ctx.db.write() as session:
        topic = posting.create_topic(world.ctx, session, session.get(posting.Member, bob), "general",
                                     "Le programme de Bob", "Je propose un plan logement ambitieux pour 2027.")
        return session.scalar(select(Post.id).where(Post.topic_id == topic.id))


def test_an_internal_quote_names_the_quoted_posts_author_whatever_is_typed(client, world):
    quoted = _bob_post(world)
    world.member("eve")
    _as(client, "eve")
    data = {"title": "Ce que dit Bob", "body": "Voyez.", "quote_count": "1"}
    data |= quote_fields(0, kind="internal", quoted_post=str(quoted), quoted_member="eve@example.org",
                         author="Bob Test", context="Son message.", text="un plan logement ambitieux")
    assert submit(client, "/c/general/nouveau", "/c/general/nouveau", data).status_code == 303
    with world.ctx.db.read() as session:
        assert session.scalar(select(Quote.quoted_member_id)) == world.ids["bob"]
    data = {"title": "Je me cite moi-même", "body": "Voyez.", "quote_count": "1"}
    data |= quote_fields(0, kind="article", quoted_member="eve@example.org", author="Eve", said_at="2024-01-01",
                         source_url="https://journal.example/a", context="Entretien.", text="Texte.")
    refused = submit(client, "/c/general/nouveau", "/c/general/nouveau", data)
    assert refused.status_code == 422 and "vous désigner comme la personne citée" in refused.text


def test_a_claimed_quote_does_not_take_a_moderator_off_the_case(client, world):
    from moderation.models import ReviewItem

    world.member("eve")
    world.member("karim", role="moderator")
    _as(client, "eve")
    data = {"title": "Compilation qui cite Karim", "body": PASTED_COMPILATION, "quote_count": "1"}
    data |= quote_fields(0, kind="article", quoted_member="karim@example.org", author="Karim", said_at="2024-01-01",
                         source_url="https://journal.example/k", context="Entretien.", text="Texte.")
    assert submit(client, "/c/debat/nouveau", "/c/debat/nouveau", data).status_code == 303
    with world.ctx.db.read() as session:
        item_id = session.scalar(select(ReviewItem.id))
    _as(client, "karim")
    page = client.get(f"/moderation/elements/{item_id}").text
    assert "récusé" not in page and "Enregistrer la décision" in page


def test_a_held_version_never_reaches_the_public_history(client, world):
    world.member("lea")
    world.member("max")
    _as(client, "lea")
    submit(client, "/c/debat/nouveau", "/c/debat/nouveau",
           {"title": "Un sujet d’abord retenu", "body": "SECRETSMEAR " + PASTED_COMPILATION, "quote_count": "0"})
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    assert submit(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier",
                  {"body": "Texte propre et sourcé.", "quote_count": "0"}).status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.PUBLISHED
    assert "SECRETSMEAR" in client.get(f"/p/{post_id}/historique").text  # the author keeps all versions
    _as(client, "max")
    history = client.get(f"/p/{post_id}/historique")
    assert history.status_code == 200 and "Texte propre" in history.text and "SECRETSMEAR" not in history.text


def test_a_held_statement_invites_nobody_until_approved(client, world, mailbox):
    for key in ("lea", "amel"):
        world.member(key)
    world.member("karim", role="moderator")
    _as(client, "lea")
    page = client.get("/c/debat/declaration")
    response = client.post("/c/debat/declaration", data={
        "csrf_token": csrf_of(page.text), "title": "SMEARTITLE Jean Dupont est corrompu", "body": PASTED_COMPILATION,
        "invitees": "amel@example.org"})
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
    assert all("amel@example.org" not in str(m["To"]) for m in mailbox.messages)
    from moderation.models import ReviewItem

    with world.ctx.db.read() as session:
        item_id = session.scalar(select(ReviewItem.id))
    _as(client, "karim")
    page = client.get(f"/moderation/elements/{item_id}")
    client.post(f"/moderation/elements/{item_id}/decision",
                data={"csrf_token": csrf_of(page.text), "action": "approve", "reason_code": "source_verifiee"})
    assert "cosigner" in mailbox.body(mailbox.wait_for("amel@example.org"))


def test_internal_quotes_refuse_non_web_links(client, world):
    quoted = _bob_post(world)
    world.member("eve")
    _as(client, "eve")
    data = {"title": "Lien piégé", "body": "Voyez.", "quote_count": "1"}
    data |= quote_fields(0, kind="internal", quoted_post=str(quoted), author="Bob Test", context="Son message.",
                         text="un plan logement ambitieux", source_url="javascript:alert(document.domain)")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", data)
    assert response.status_code == 422 and "https://" in response.text


def test_a_signature_on_a_version_the_signer_did_not_see_is_refused(client, world):
    for key in ("lea", "amel"):
        world.member(key)
    _as(client, "lea")
    page = client.get("/c/general/declaration")
    topic_url = client.post("/c/general/declaration", data={
        "csrf_token": csrf_of(page.text), "title": "Pour un congrès ouvert", "body": "Version une.",
        "invitees": "amel@example.org"}).headers["location"]
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    _as(client, "amel")
    stale = csrf_of(client.get(topic_url).text)
    _as(client, "lea")
    submit(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier", {"body": "Version deux, changée.", "quote_count": "0"})
    _as(client, "amel")
    token = csrf_of(client.get(topic_url).text)
    refused = client.post(f"/p/{post_id}/signer", data={"csrf_token": token, "revision": "1"})
    assert refused.status_code == 422 and "modifiée pendant votre lecture" in refused.text
    assert client.post(f"/p/{post_id}/signer", data={"csrf_token": token, "revision": "2"}).status_code == 303
    assert stale  # the page the signer first read carried revision 1
