"""Login, sessions, throttling, suspension: what a member or an attacker sees over HTTP."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from forum.models import MemberStatus, UserSession
from forum.services import accounts
from forum.web import SESSION_COOKIE
from tests.conftest import PASSWORD, csrf_of, login, post_form


def test_login_opens_a_session_and_shows_the_member(client, world):
    world.member("lea")
    response = login(client, "lea@example.org")
    assert response.status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert "Lea Test" in home.text
    assert home.headers["cache-control"] == "no-store"


def test_session_cookie_is_signed_random_httponly_lax(client, world):
    world.member("lea")
    response = login(client, "lea@example.org")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    value = client.cookies[SESSION_COOKIE]
    token = value.rsplit(".", 1)[0]
    assert len(token) >= 22  # 128+ bits, base64url
    with world.ctx.db.read() as session:
        stored = session.scalars(select(UserSession.token_hash)).all()
    assert token not in stored and len(stored) == 1  # only a digest is stored


def test_wrong_password_is_refused_in_french_and_keeps_the_email(client, world):
    world.member("lea")
    response = login(client, "lea@example.org", "not-the-password")
    assert response.status_code == 422
    assert "Adresse ou mot de passe incorrect" in response.text
    assert 'value="lea@example.org"' in response.text
    assert SESSION_COOKIE not in client.cookies


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/c/general")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion?next=/c/general")


def test_login_is_throttled_per_account_with_a_french_message(client, world):
    world.member("lea")
    for _ in range(5):
        assert login(client, "lea@example.org", "wrong-password-x").status_code == 422
    response = login(client, "lea@example.org", PASSWORD)  # even the right password now waits
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.text and "Réessayez dans" in response.text
    assert int(response.headers["retry-after"]) > 0


def test_login_is_throttled_per_ip_across_accounts(client, world):
    for i in range(30):
        login(client, f"nobody{i}@example.org", "wrong-password-x")
    world.member("lea")
    response = login(client, "lea@example.org", PASSWORD)
    assert response.status_code == 429


def test_logout_revokes_and_a_replayed_cookie_is_refused(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    stolen = client.cookies[SESSION_COOKIE]
    page = client.get("/")
    response = client.post("/deconnexion", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    client.cookies.set(SESSION_COOKIE, stolen)
    replay = client.get("/")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/connexion")


def test_a_new_session_id_at_every_login(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    first = client.cookies[SESSION_COOKIE]
    page = client.get("/connexion?next=/")  # already logged in: redirected
    assert page.status_code == 303
    client.cookies.clear()
    login(client, "lea@example.org")
    assert client.cookies[SESSION_COOKIE] != first


def test_suspended_member_cannot_log_in_and_is_logged_out_at_once(client, world):
    admin = world.member("alice", role="admin")
    lea = world.member("lea")
    login(client, "lea@example.org")
    assert client.get("/").status_code == 200
    with world.ctx.db.write() as session:
        actor = session.get(accounts.Member, admin)
        accounts.set_status(world.ctx, session, actor, lea, MemberStatus.SUSPENDED)
    assert client.get("/").status_code == 303  # the open session died with the suspension
    client.cookies.clear()
    response = login(client, "lea@example.org")
    assert response.status_code == 403
    assert "suspendu" in response.text


def test_idle_session_expires(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    with world.ctx.db.write() as session:
        row = session.scalars(select(UserSession)).one()
        row.last_seen_at = row.last_seen_at - dt.timedelta(hours=3)
    assert client.get("/").status_code == 303


def test_topic_page_reads_the_session_on_its_own_connection_and_still_moves_its_idle_deadline(client, world):
    """The topic page reads the session and the topic in one snapshot (page(snapshot=True)):
    a session seen a while ago is still moved forward (a write while the read is held), and
    a revoked one still sends the reader to the login page."""
    from forum.services import posting

    lea = world.member("lea")
    with world.ctx.db.write() as session:
        member = session.get(accounts.Member, lea)
        topic_id = posting.create_topic(world.ctx, session, member, "general", "Un sujet lu", "Premier message").id
    login(client, "lea@example.org")
    with world.ctx.db.write() as session:
        row = session.scalars(select(UserSession)).one()
        row.last_seen_at = before = row.last_seen_at - accounts.TOUCH_AFTER - dt.timedelta(seconds=5)
    page = client.get(f"/t/{topic_id}")
    assert page.status_code == 200 and "Premier message" in page.text
    with world.ctx.db.read() as session:
        seen = session.scalars(select(UserSession)).one().last_seen_at
    assert seen > before + accounts.TOUCH_AFTER
    with world.ctx.db.write() as session:
        session.scalars(select(UserSession)).one().revoked_at = seen
    response = client.get(f"/t/{topic_id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")


def test_password_change_revokes_other_sessions(client, app, world):
    from starlette.testclient import TestClient

    world.member("lea")
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, "lea@example.org")
        login(client, "lea@example.org")
        response = post_form(client, "/compte/mot-de-passe", "/compte/mot-de-passe",
                             {"current": PASSWORD, "new": "a-brand-new-password", "confirm": "a-brand-new-password"})
        assert response.status_code == 200 and "Mot de passe changé" in response.text
        assert other.get("/").status_code == 303  # the other device is logged out
        assert client.get("/").status_code == 200  # this one got a fresh session
    with world.ctx.db.read() as session:
        live = session.scalar(select(func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None)))
    assert live == 1


def test_password_change_with_wrong_current_password_changes_nothing(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = post_form(client, "/compte/mot-de-passe", "/compte/mot-de-passe",
                         {"current": "wrong-one-here", "new": "a-brand-new-password", "confirm": "a-brand-new-password"})
    assert response.status_code == 422 and "actuel est incorrect" in response.text
    client.cookies.clear()
    assert login(client, "lea@example.org", PASSWORD).status_code == 303
