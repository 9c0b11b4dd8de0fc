"""Topics, replies, edits and revisions over HTTP, with their unhappy paths."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.models import Post, PostRevision, Topic
from tests.conftest import csrf_of, login, post_form


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _new_topic(client, title="Le logement d’abord", body="Premier message **important**."):
    return post_form(client, "/c/general/nouveau", "/c/general/nouveau", {"title": title, "body": body})


def test_member_creates_a_topic_and_replies(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = _new_topic(client)
    assert response.status_code == 303
    topic_url = response.headers["location"]
    page = client.get(topic_url)
    assert "Le logement d’abord" in page.text
    assert "<strong>important</strong>" in page.text
    reply = post_form(client, topic_url, topic_url + "/repondre", {"body": "Je suis d’accord."})
    assert reply.status_code == 303 and "#p" in reply.headers["location"]
    assert "Je suis d’accord." in client.get(topic_url).text
    listing = client.get("/c/general")
    assert "Le logement d’abord" in listing.text


def test_invalid_topic_keeps_the_draft_and_writes_nothing(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = _new_topic(client, title="abc", body="Mon brouillon précieux")
    assert response.status_code == 422
    assert "au moins 5 caractères" in response.text
    assert "Mon brouillon précieux" in response.text
    assert 'aria-describedby="err-title"' in response.text
    assert _count(world.ctx, Topic) == 0 and _count(world.ctx, Post) == 0


def test_empty_reply_keeps_nothing_and_says_why(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    topic_url = _new_topic(client).headers["location"]
    response = post_form(client, topic_url, topic_url + "/repondre", {"body": "   "})
    assert response.status_code == 422 and "Le message est vide" in response.text
    assert _count(world.ctx, Post) == 1


def test_missing_or_wrong_csrf_is_refused_and_writes_nothing(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    missing = client.post("/c/general/nouveau", data={"title": "Un sujet valable", "body": "Texte"})
    assert missing.status_code == 403
    assert "Le formulaire a expiré" in missing.text
    wrong = client.post("/c/general/nouveau", data={"title": "Un sujet valable", "body": "Texte", "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert _count(world.ctx, Topic) == 0


def test_csrf_token_of_another_session_is_refused(client, app, world):
    from starlette.testclient import TestClient

    world.member("lea")
    world.member("max")
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as attacker:
        login(attacker, "max@example.org")
        foreign_token = csrf_of(attacker.get("/c/general/nouveau").text)
    login(client, "lea@example.org")
    response = client.post("/c/general/nouveau", data={"title": "Un sujet valable", "body": "x", "csrf_token": foreign_token})
    assert response.status_code == 403
    assert _count(world.ctx, Topic) == 0


def test_cross_origin_post_is_refused_even_with_a_token(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    token = csrf_of(client.get("/c/general/nouveau").text)
    response = client.post("/c/general/nouveau", data={"title": "Un sujet valable", "body": "x", "csrf_token": token},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert _count(world.ctx, Topic) == 0


def test_login_form_needs_csrf_too(client, world):
    world.member("lea")
    response = client.post("/connexion", data={"email": "lea@example.org", "password": "correct-horse-battery"})
    assert response.status_code == 403


def test_edit_keeps_a_revision_and_shows_the_history(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    topic_url = _new_topic(client, body="Première version du texte.").headers["location"]
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    response = post_form(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier", {"body": "Seconde version du texte."})
    assert response.status_code == 303
    page = client.get(topic_url)
    assert "Seconde version du texte." in page.text and "Première version" not in page.text
    assert "voir l’historique" in page.text
    history = client.get(f"/p/{post_id}/historique")
    assert history.status_code == 200
    assert "<del" in history.text and "Première version du texte." in history.text
    assert "<ins" in history.text and "Seconde version du texte." in history.text
    assert _count(world.ctx, PostRevision) == 2


def test_member_cannot_edit_another_members_post(client, app, world):
    from starlette.testclient import TestClient

    world.member("lea")
    world.member("max")
    login(client, "lea@example.org")
    _new_topic(client, body="Texte de Léa.")
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, "max@example.org")
        assert other.get(f"/p/{post_id}/modifier").status_code == 403
        token = csrf_of(other.get("/").text)
        forced = other.post(f"/p/{post_id}/modifier", data={"csrf_token": token, "body": "Texte réécrit par Max."})
        assert forced.status_code == 403
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).source == "Texte de Léa."
    assert _count(world.ctx, PostRevision) == 1


def test_topic_pages_hold_twenty_posts(client, world):
    from forum.services import posting

    lea = world.member("lea")
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        topic = posting.create_topic(world.ctx, session, member, "general", "Un long sujet", "Message 1")
        for n in range(2, 46):
            posting.reply(world.ctx, session, member, topic.id, f"Message {n}")
    login(client, "lea@example.org")
    first = client.get(f"/t/{topic.id}")
    assert "Message 20</p>" in first.text and "Message 21</p>" not in first.text
    assert "Page 1 / 3" in first.text
    third = client.get(f"/t/{topic.id}?page=3")
    assert "Message 45</p>" in third.text and "Message 40</p>" not in third.text
    assert client.get(f"/t/{topic.id}?page=4").status_code == 404


def test_category_list_is_paged_by_cursor(client, world):
    from forum.services import posting

    lea = world.member("lea")
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, lea)
        for n in range(35):
            posting.create_topic(world.ctx, session, member, "general", f"Sujet numéro {n:02d}", "Texte")
    login(client, "lea@example.org")
    first = client.get("/c/general")
    assert "Sujet numéro 34" in first.text and "Sujet numéro 04" not in first.text
    import re

    next_link = re.search(r'href="(/c/general\?apres=[^"]+)"', first.text).group(1)
    second = client.get(next_link.replace("&amp;", "&"))
    assert "Sujet numéro 04" in second.text and "Sujet numéro 34" not in second.text
    assert "Sujet numéro 00" in second.text


def test_unknown_pages_get_a_french_404(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    for url in ("/t/999999", "/c/nope", "/p/424242/historique", "/membres/31337", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page introuvable" in response.text and 'lang="fr"' in response.text


def test_empty_category_says_so(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    assert "Aucun sujet dans cette catégorie" in client.get("/c/debat").text


def test_nul_characters_are_neutralised_on_both_databases(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = _new_topic(client, title="Titre\x00piégé", body="Texte\x00avec un NUL")
    assert response.status_code == 303
    with world.ctx.db.read() as session:
        post = session.scalars(select(Post)).one()
        title = session.scalar(select(Topic.title))
    assert "\x00" not in post.source and "\ufffd" in post.source and "\ufffd" in title
    assert client.get("/c/gen%00eral").status_code == 404


def test_an_id_too_large_for_the_database_is_a_missing_page(client, world):
    """PostgreSQL refuses integers beyond its columns: such an id is no page (404), not an error (500)."""
    world.member("lea")
    login(client, "lea@example.org")
    for path in ("/t/99999999999", "/t/99999999999?page=2", "/p/99999999999/historique", "/membres/999999999999"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.text or "introuvable" in response.text
    topic = _new_topic(client, title="Un sujet court", body="Un seul message.").headers["location"]
    for page in ("2", "107374183", "99999999999", str(2**63)):  # past its posts, then past what an INTEGER holds
        response = client.get(f"{topic}?page={page}")
        assert response.status_code == 404 and "introuvable" in response.text, page
    assert client.get(f"{topic}?page=1").status_code == 200
    for cursor in ("1700000000000000_99999999999", f"1700000000000000_{2**63}", "1700000000000000_-5"):
        listed = client.get(f"/c/general?apres={cursor}")  # a cursor no topic can have: the list from its start
        assert listed.status_code == 200 and "Un sujet court" in listed.text, cursor
