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
    assert re.search(r"csrf-[0-9a-f]{32}", zoe_page) is None  # no slot left unfilled
    response = zoe.post(f"/p/{post_id}/notes", data={"csrf_token": token, "note": "Source : rapport 2025, page 12."})
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        note = session.scalars(select(ContextNote).where(ContextNote.post_id == post_id)).one()
    assert note.author_id == world.ids["zoe"]
    # The proposed note now shows under the card for a member who had the old card.
    assert "Source : rapport 2025, page 12." in _card(reader("max").get(topic_url).text, post_id)


def test_a_body_holding_something_like_a_slot_never_receives_a_token(app, client, world):
    world.member("lea")
    login(client, "lea@example.org")
    lookalike = "csrf-" + "0123456789abcdef" * 2
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Le logement d’abord", "body": f"Voir {lookalike} ici."}).headers["location"]
    for _ in range(2):  # rendered, then served from the table
        page = client.get(topic_url).text
        assert f"Voir {lookalike} ici." in page
        token = csrf_of(page)
        assert page.count(token) == page.count('name="csrf_token"')


def test_the_table_stays_within_its_size_and_keeps_no_oversized_card(app, world):
    from forum.cards import CardCache, CardViewer
    from forum.queries import PostRow
    from forum.models import PostStatus
    import datetime as dt

    cards = CardCache(app.state.templates.env, max_chars=60_000, max_card_chars=20_000)
    now = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.timezone.utc)

    def row(n: int, body: str) -> PostRow:
        return PostRow(n, n, 7, "Léa Test", "Paris", body, PostStatus.PUBLISHED, now, 1, ())

    viewer = CardViewer(None, False)
    for n in range(40):
        html = cards.render(row(n, f"<p>Message {n} " + "x" * 2000 + "</p>"), [], [], "5 janvier 2026", viewer, "jeton")
        assert f"Message {n} " in html and "jeton" in html
        assert cards._table.chars <= 60_000
    assert 0 < len(cards._table.entries) < 40  # the oldest went first
    big = cards.render(row(99, "<p>" + "y" * 30_000 + "</p>"), [], [], "5 janvier 2026", viewer, "jeton")
    assert "y" * 30_000 in big and all(key[0].id != 99 for key in cards._table.entries)


def test_card_templates_read_nothing_outside_the_cache_key(app):
    from jinja2 import meta

    env = app.state.templates.env
    allowed = {"me", "csrf_token", "kind_labels", "moderation_reasons", "_", "gettext", "ngettext",
               "post", "notes", "signatures", "when_text"}
    for name in ("_post_card.html", "_post.html", "_quote_card.html"):
        source = env.loader.get_source(env, name)[0]
        free = meta.find_undeclared_variables(env.parse(source))
        assert free <= allowed, f"{name} lit {sorted(free - allowed)} : ces valeurs doivent entrer dans la clé des cartes"


@pytest.mark.parametrize("name, allowed", [
    # The site header: the reader as the header shows them, and their unread count.
    ("_site_header.html", {"me", "unread", "csrf_token"}),
    # The topic page's main column: the topic and category heads, the page, what the key holds.
    ("_topic_main.html", {"topic", "category", "page", "pages", "has_posts", "official_reply", "errors",
                          "cards", "reply_fields", "csrf_token"}),
    # The frame: only its slots; base.html, kept within it, is rendered with nothing else.
    ("_frame.html", {"title", "content", "site_header"}),
    ("base.html", {"site_header"}),
])
def test_kept_fragments_read_nothing_outside_their_key(app, name, allowed):
    from jinja2 import meta

    env = app.state.templates.env
    source = env.loader.get_source(env, name)[0]
    free = meta.find_undeclared_variables(env.parse(source)) - {"_", "gettext", "ngettext", "static_url"}
    assert free <= allowed, f"{name} lit {sorted(free - allowed)} : ces valeurs doivent entrer dans la clé du fragment"


def test_the_header_follows_the_reader_and_their_unread_count(app, client, world, reader):
    """The header is kept per reader state: a new notification or another reader shows at once."""
    lea = world.member("lea")
    world.member("max")
    login(client, "lea@example.org")
    topic_url = post_form(client, "/c/general/nouveau", "/c/general/nouveau",
                          {"title": "Sur le budget", "body": "Premier message."}).headers["location"]
    first = client.get(topic_url).text
    assert "Lea Test" in first.split("</header>")[0] and 'class="count"' not in first.split("</header>")[0]
    max_client = reader("max")
    page_of_max = max_client.get(topic_url).text
    header_of_max = page_of_max.split("</header>")[0]
    assert "Max Test" in header_of_max and "Lea Test" not in header_of_max
    token_of_max = csrf_of(page_of_max)
    assert token_of_max in header_of_max and csrf_of(first) not in page_of_max
    # Léa gets a notification (a decision, a quote…): her header counts it on the next page.
    from forum.services.notifications import notify
    with world.ctx.db.write() as session:
        notify(world.ctx, session, lea, "Une décision vous concerne.", topic_url)
    again = client.get(topic_url).text.split("</header>")[0]
    assert 'class="count"' in again and "non lues" in again


def _failed_cut(monkeypatch):  # type: ignore[no-untyped-def]
    """Make every cut fail, as a member guessing a fresh random marker would."""
    import forum.cards

    monkeypatch.setattr(forum.cards, "_render_cut", lambda *args, **kwargs: None)


def test_a_fragment_that_cannot_be_cut_is_rendered_plainly_with_the_same_values(app, monkeypatch):
    from markupsafe import Markup

    from forum.models import PostStatus
    from forum.queries import CategoryHead, TopicHead

    _failed_cut(monkeypatch)
    topic = TopicHead(1, "Titre", 1, 1, False, PostStatus.PUBLISHED)
    context = {"topic": topic, "category": CategoryHead(1, "general", "Général", 3), "page": 1, "pages": 1,
               "has_posts": True, "official_reply": True, "errors": {}}
    html = app.state.fragments.render("_topic_main.html", ("k",), context,
                                      {"cards": Markup("<article>carte</article>"), "reply_fields": Markup(""),
                                       "csrf_token": "jeton-du-lecteur"})
    assert 'value="jeton-du-lecteur"' in html and "<article>carte</article>" in html


def test_an_anonymous_page_rendered_plainly_sets_no_anonymous_cookie(client, monkeypatch):
    _failed_cut(monkeypatch)
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404 and "Se connecter" in response.text  # the header, rendered plainly
    assert "tribune_anon" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("plainly", [False, True])
def test_a_filled_value_that_is_not_markup_is_escaped(app, monkeypatch, plainly):
    from markupsafe import Markup

    if plainly:
        _failed_cut(monkeypatch)
    html = app.state.fragments.render("_frame.html", (), {}, {
        "title": "<b>titre</b>", "content": Markup("<p>contenu</p>"), "site_header": lambda: Markup("<header>")})
    assert "<title>&lt;b&gt;titre&lt;/b&gt; · Tribune</title>" in html
    assert "<p>contenu</p>" in html and "<header>" in html
