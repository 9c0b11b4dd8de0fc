"""Topic pages serve post cards rendered once; whatever changes a card must show at once.

Each test first has the card rendered and kept (a reader looks at the page), then changes
something, then checks what every kind of reader sees: nothing stale, nothing of one reader
leaking to another, each reader's own CSRF token in the forms.
"""

from __future__ import annotations

import contextlib
import re

import pytest

from sqlalchemy import select
from starlette.testclient import TestClient

from forum.models import Post
from moderation.models import ContextNote
from tests.conftest import csrf_of, login, post_form
from tests.test_decisions_http import _decide, _reported_case


def _topic_of(world, post_id: int) -> int:
    with world.ctx.db.read() as session:
        return session.scalar(select(Post.topic_id).where(Post.id == post_id))


@pytest.fixture
def reader(app):  # type: ignore[no-untyped-def]
    """Log in as another member in a client of their own: reader("max")."""
    with contextlib.ExitStack() as stack:
        def open_as(key: str) -> TestClient:
            client = stack.enter_context(TestClient(app, base_url="http://testserver", follow_redirects=False))
            login(client, f"{key}@example.org")
            return client

        yield open_as


def _card(html: str, post_id: int) -> str:
    found = re.search(rf'<article[^>]* id="p{post_id}".*?</article>', html, re.S)
    assert found, f"pas de carte pour le message {post_id}"
    return found.group(0)


def test_a_page_seen_twice_is_the_same_page_served_from_kept_cards(app, client, world, reader):
    world.member("lea")
    login(client, "lea@example.org")
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Le logement d’abord", "body": "Premier message."}).headers["location"]
    for n in range(5):
        post_form(client, topic_url, topic_url + "/repondre", {"body": f"Réponse numéro {n}."})
    cards = app.state.cards
    first = client.get(topic_url).text
    hits = cards.hits
    second = client.get(topic_url).text
    assert second == first
    assert cards.hits >= hits + 6  # all six cards came from the table the second time


def test_an_edit_shows_at_once_on_a_page_already_seen(app, client, world, reader):
    world.member("lea")
    world.member("max")
    login(client, "lea@example.org")
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Le logement d’abord", "body": "Version initiale du texte."}).headers["location"]
    reader = reader("max")
    assert "Version initiale du texte." in reader.get(topic_url).text
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).where(Post.author_id == world.ids["lea"]))
    edited = post_form(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier", {"body": "Texte corrigé."})
    assert edited.status_code == 303
    page = reader.get(topic_url).text
    assert "Texte corrigé." in page and "Version initiale du texte." not in page
    assert f"/p/{post_id}/historique" in _card(page, post_id)


def test_a_hidden_post_is_never_served_from_a_card_kept_before_the_decision(app, client, world, reader):
    post_id, item_id = _reported_case(app, world, reply=True)
    topic_url = f"/t/{_topic_of(world, post_id)}"
    other = reader("max")
    author = reader("lea")
    assert "parfaitement ordinaire" in other.get(topic_url).text
    assert "parfaitement ordinaire" in author.get(topic_url).text
    world.member("karim", role="moderator")
    login(client, "karim@example.org")
    assert _decide(client, item_id, action="hide", reason_code="attaque_personnelle").status_code == 303
    seen = _card(other.get(topic_url).text, post_id)
    assert "Message masqué par la modération." in seen and "parfaitement ordinaire" not in seen
    # The author still reads their own words, with the explanation.
    own = _card(author.get(topic_url).text, post_id)
    assert "parfaitement ordinaire" in own and "Vous seul·e en voyez encore le contenu" in own


def test_one_readers_card_never_reaches_another(app, client, world, reader):
    world.member("lea")
    world.member("max")
    world.member("karim", role="moderator")
    login(client, "lea@example.org")
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Le logement d’abord", "body": "Le message de Léa."}).headers["location"]
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).where(Post.author_id == world.ids["lea"]))
    # Another member renders the card first: no edit link for them, a report link instead.
    other = _card(reader("max").get(topic_url).text, post_id)
    assert f"/p/{post_id}/modifier" not in other and f"/p/{post_id}/signaler" in other
    # The author then gets their own card, not the one kept for others.
    own = _card(client.get(topic_url).text, post_id)
    assert f"/p/{post_id}/modifier" in own and f"/p/{post_id}/signaler" not in own
    # And the other member still gets theirs.
    assert f"/p/{post_id}/modifier" not in _card(reader("karim").get(topic_url).text, post_id)


def test_forms_in_kept_cards_carry_each_readers_own_token(app, client, world, reader):
    world.member("lea")
    world.member("max")
    world.member("zoe")
    login(client, "lea@example.org")
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Le logement d’abord", "body": "Un chiffre sans source."}).headers["location"]
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).where(Post.author_id == world.ids["lea"]))
    max_page = reader("max").get(topic_url).text  # the card is kept with its note form
    zoe = reader("zoe")
    zoe_page = zoe.get(topic_url).text
    card = _card(zoe_page, post_id)
    token = re.search(r'name="csrf_token" value="([^"]+)"', card).group(1)
    assert token == csrf_of(zoe_page) and token != csrf_of(max_page)
    assert app.state.cards.slot not in zoe_page
    response = zoe.post(f"/p/{post_id}/notes", data={"csrf_token": token, "note": "Source : rapport 2025, page 12."})
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        note = session.scalars(select(ContextNote).where(ContextNote.post_id == post_id)).one()
    assert note.author_id == world.ids["zoe"]
    # The proposed note now shows under the card for a member who had the old card.
    assert "Source : rapport 2025, page 12." in _card(reader("max").get(topic_url).text, post_id)
