"""Notification preferences: each event, a daily digest, or the forum only."""

from __future__ import annotations

import subprocess
import sys

from forum.services.notifications import notify
from tests.conftest import csrf_of, login
from tests.test_roster import _cli_env


def _set_pref(client, value: str):
    page = client.get("/notifications/preferences")
    return client.post("/notifications/preferences", data={"csrf_token": csrf_of(page.text), "notify_pref": value})


def test_each_event_is_emailed_at_once(client, world, mailbox):
    lea = world.member("lea")
    with world.ctx.db.write() as session:
        notify(world.ctx, session, lea, "Un événement.", "/", email_subject="Tribune : test")
    assert "Un événement." in mailbox.body(mailbox.wait_for("lea@example.org"))


def test_none_keeps_notifications_in_the_forum(client, world, mailbox):
    lea = world.member("lea")
    login(client, "lea@example.org")
    assert _set_pref(client, "none").status_code == 200
    with world.ctx.db.write() as session:
        notify(world.ctx, session, lea, "Un événement discret.", "/", email_subject="Tribune : test")
    assert mailbox.messages == []
    assert "Un événement discret." in client.get("/notifications").text


def test_digest_sends_one_summary_with_every_pending_notification(client, world, mailbox):
    lea = world.member("lea")
    login(client, "lea@example.org")
    _set_pref(client, "digest")
    with world.ctx.db.write() as session:
        for n in range(3):
            notify(world.ctx, session, lea, f"Événement {n}.", "/", email_subject="Tribune : test")
    assert mailbox.messages == []
    run = subprocess.run([sys.executable, "-m", "forum", "send-digests"], capture_output=True, text=True,
                         env=_cli_env(world.ctx), timeout=120)
    assert run.returncode == 0 and "Résumés envoyés : 1" in run.stdout
    body = mailbox.body(mailbox.wait_for("lea@example.org"))
    assert all(f"Événement {n}." in body for n in range(3))
    again = subprocess.run([sys.executable, "-m", "forum", "send-digests"], capture_output=True, text=True,
                           env=_cli_env(world.ctx), timeout=120)
    assert "Résumés envoyés : 0" in again.stdout


def test_unknown_preference_is_refused(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    response = _set_pref(client, "sometimes")
    assert response.status_code == 422 and "Choisissez une des trois options" in response.text
