"""The admin command line, run as a subprocess like an administrator would."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from forum.models import Member, MemberStatus, Role
from tests.test_roster import _cli_env


def _run(ctx, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forum", *args], input=stdin, capture_output=True, text=True,
                          env=_cli_env(ctx), timeout=120)


def test_help_is_french():
    result = subprocess.run([sys.executable, "-m", "forum", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "Administration de Tribune" in result.stdout and "importe le fichier des adhérents" in result.stdout


def test_create_member_with_password_from_stdin(world):
    result = _run(world.ctx, "create-member", "--email", "Mod@Example.org", "--first-name", "Karim", "--last-name", "B",
                  "--federation", "rhone", "--role", "moderator", "--moderates", "rhone", "--password-stdin",
                  stdin="un-mot-de-passe-long\n")
    assert result.returncode == 0, result.stderr
    with world.ctx.db.read() as session:
        member = session.scalar(select(Member).where(Member.email == "mod@example.org"))
    assert member.status == MemberStatus.ACTIVE and member.role == Role.MODERATOR
    assert member.moderated_federation_id is not None and member.password_hash.startswith("$argon2id$")


def test_create_member_refuses_a_short_password_and_unknown_federation(world):
    short = _run(world.ctx, "create-member", "--email", "a@example.org", "--first-name", "A", "--last-name", "B",
                 "--password-stdin", stdin="court\n")
    assert short.returncode == 1 and "au moins 10 caractères" in short.stderr
    unknown = _run(world.ctx, "create-member", "--email", "a@example.org", "--first-name", "A", "--last-name", "B",
                   "--federation", "atlantide", "--invite")
    assert unknown.returncode == 1 and "fédération inconnue" in unknown.stderr
    with world.ctx.db.read() as session:
        assert session.scalar(select(Member).where(Member.email == "a@example.org")) is None


def test_create_member_by_invitation_sends_the_email(world, mailbox):
    result = _run(world.ctx, "create-member", "--email", "nina@example.org", "--first-name", "Nina", "--last-name", "S",
                  "--federation", "paris", "--invite")
    assert result.returncode == 0, result.stderr
    assert "/invitation/" in mailbox.link("nina@example.org")


def test_invite_all_pending(world, mailbox):
    world.member("a", password=None)
    world.member("b", password=None)
    world.member("c")
    result = _run(world.ctx, "invite", "--all-pending")
    assert result.returncode == 0 and "Invitations envoyées : 2" in result.stdout
    mailbox.wait_for("a@example.org")
    mailbox.wait_for("b@example.org")
    assert all("c@example.org" not in str(m["To"]) for m in mailbox.messages)
    unknown = _run(world.ctx, "invite", "ghost@example.org")
    assert unknown.returncode == 1 and "inconnu" in unknown.stderr


def test_demo_loads_once(ctx):
    first = _run(ctx, "demo")
    assert first.returncode == 0 and "demo-tribune-2026" in first.stdout and "candidat·e" in first.stdout
    second = _run(ctx, "demo")
    assert second.returncode == 0 and "déjà des membres" in second.stdout
    with ctx.db.read() as session:
        assert len(session.scalars(select(Member)).all()) == 9
