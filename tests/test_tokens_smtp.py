"""Invitation and password-reset links, sent over a real SMTP server: single use, one purpose each."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from forum import security
from forum.models import Member, MemberStatus
from forum.services import accounts
from tests.conftest import csrf_of, login


def _invite(world, key: str = "nina") -> str:
    member_id = world.member(key, password=None)
    with world.ctx.db.write() as session:
        member = session.get(Member, member_id)
        accounts.send_invitation(world.ctx, session, member)
    return f"{key}@example.org"


def _set_password(client, link: str, password: str = "mon-nouveau-secret", confirm: str | None = None):
    path = link.replace("http://testserver", "")
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_of(page.text), "password": password, "confirm": confirm or password})


def test_invitation_email_link_sets_password_and_logs_in(client, world, mailbox):
    email = _invite(world)
    message = mailbox.wait_for(email)
    assert message["Subject"] == "Votre invitation à Tribune"
    assert "valable 7 jours" in mailbox.body(message)
    response = _set_password(client, mailbox.link(email))
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    client.cookies.clear()
    assert login(client, email, "mon-nouveau-secret").status_code == 303


def test_invitation_link_works_only_once(client, world, mailbox):
    email = _invite(world)
    link = mailbox.link(email)
    assert _set_password(client, link).status_code == 303
    client.cookies.clear()
    reused = client.get(link.replace("http://testserver", ""))
    assert reused.status_code == 404
    assert "Ce lien n’est plus valable" in reused.text


def test_mismatched_confirmation_keeps_the_link_usable(client, world, mailbox):
    email = _invite(world)
    link = mailbox.link(email)
    failed = _set_password(client, link, confirm="autre-chose-encore")
    assert failed.status_code == 422 and "pas identiques" in failed.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(Member.status).where(Member.email == email)) == MemberStatus.INVITED
    assert _set_password(client, link).status_code == 303


def test_expired_invitation_is_refused(client, world, mailbox):
    email = _invite(world)
    path = mailbox.link(email).replace("http://testserver", "")
    assert client.get(path).status_code == 200
    world.ctx.clock = lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7, minutes=1)
    expired = client.get(path)
    assert expired.status_code == 404 and "expiré" in expired.text


def test_token_signed_for_one_purpose_is_refused_for_another(client, world, mailbox):
    email = _invite(world)
    token = mailbox.link(email).rsplit("/", 1)[1]
    assert client.get(f"/mot-de-passe/nouveau/{token}").status_code == 404
    csrf_like = world.ctx.signers.csrf_token("a:whatever")
    assert client.get(f"/invitation/{csrf_like}").status_code == 404


def test_password_reset_by_email_then_old_password_fails(client, world, mailbox):
    world.member("lea")
    page = client.get("/mot-de-passe/oubli")
    response = client.post("/mot-de-passe/oubli", data={"csrf_token": csrf_of(page.text), "email": "LEA@example.org"})
    assert response.status_code == 200 and "valable une heure" in response.text
    link = mailbox.link("lea@example.org")
    assert _set_password(client, link, "encore-un-autre-secret").status_code == 303
    client.cookies.clear()
    assert login(client, "lea@example.org").status_code == 422
    assert login(client, "lea@example.org", "encore-un-autre-secret").status_code == 303
    assert client.get(link.replace("http://testserver", "")).status_code == 404  # single use


def test_reset_for_unknown_address_sends_nothing_and_says_the_same(client, world, mailbox):
    page = client.get("/mot-de-passe/oubli")
    response = client.post("/mot-de-passe/oubli", data={"csrf_token": csrf_of(page.text), "email": "ghost@example.org"})
    assert response.status_code == 200 and "valable une heure" in response.text
    assert mailbox.messages == []


def test_reset_emails_are_rate_limited(client, world, mailbox):
    world.member("lea")
    for _ in range(3):
        page = client.get("/mot-de-passe/oubli")
        client.post("/mot-de-passe/oubli", data={"csrf_token": csrf_of(page.text), "email": "lea@example.org"})
    page = client.get("/mot-de-passe/oubli")
    response = client.post("/mot-de-passe/oubli", data={"csrf_token": csrf_of(page.text), "email": "lea@example.org"})
    assert response.status_code == 429 and "Réessayez dans" in response.text
    assert len(mailbox.messages) == 3


def test_reset_link_dies_when_the_password_changes_otherwise(client, world, mailbox):
    world.member("lea")
    with world.ctx.db.write() as session:
        accounts.request_password_reset(world.ctx, session, "lea@example.org", "127.0.0.1")
    link = mailbox.link("lea@example.org")
    with world.ctx.db.write() as session:
        member = session.scalar(select(Member).where(Member.email == "lea@example.org"))
        accounts.change_password(world.ctx, session, member, "correct-horse-battery", "changed-elsewhere", "changed-elsewhere")
    assert client.get(link.replace("http://testserver", "")).status_code == 404


def test_rehash_on_login_when_parameters_change(client, world):
    from argon2 import PasswordHasher

    world.member("lea")  # hashed with the suite's cheap parameters
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    previous = security.password_hasher
    security.password_hasher = stronger
    try:
        assert login(client, "lea@example.org").status_code == 303
    finally:
        security.password_hasher = previous
    with world.ctx.db.read() as session:
        stored = session.scalar(select(Member.password_hash).where(Member.email == "lea@example.org"))
    assert stored.startswith("$argon2id$") and "m=2048,t=2,p=1" in stored
