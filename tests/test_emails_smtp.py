"""Emails in French with a plain-text part and a simple HTML part (multipart/alternative), received
by the real SMTP server: the same link in both, user text escaped in the HTML, nothing remote."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from email.message import EmailMessage

import html5lib

from forum.models import Member
from forum.services import accounts, notifications, statements
from tests.conftest import csrf_of, login
from tests.test_notification_prefs import _set_pref
from tests.test_roster import _cli_env

HOSTILE_NAME = '<script>alert("nom")</script>Zoé'
HOSTILE_TITLE = '<img src=x onerror=alert(1)> Déclaration & "unité"'


def _parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a multipart/alternative message, as a mail client reads them."""
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_body(preferencelist=("plain",)), message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    return str(plain.get_content()), str(html.get_content())


def _html(html: str) -> ET.Element:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def _text(element: ET.Element) -> str:
    # Whitespace collapsed as a browser does: ASCII whitespace only, no-break spaces kept.
    return re.sub(r"[ \t\n\r\f]+", " ", "".join(element.itertext())).strip()


def _links(html: str) -> list[str]:
    return [a.get("href") for a in _html(html).iter("a")]


def _assert_self_contained(html: str) -> None:
    """No image or stylesheet fetched from elsewhere, every link absolute."""
    root = _html(html)
    assert root.find(".//img") is None and root.find(".//link") is None
    assert all(e.get("src") is None and "url(" not in (e.get("style") or "") for e in root.iter())
    assert all(href.startswith("http://testserver/") for href in _links(html)), _links(html)


def _member(world, key: str, first_name: str, password: str | None = "correct-horse-battery") -> int:
    with world.ctx.db.write() as session:
        member = accounts.create_member(session, email=f"{key}@example.org", first_name=first_name, last_name="Test",
                                        federation=accounts.find_federation(session, "paris"), password=password)
        world.ids[key] = member.id
        return member.id


def test_invitation_has_a_text_and_an_html_part_with_the_same_link_and_the_name_escaped(world, mailbox):
    member_id = _member(world, "zoe", HOSTILE_NAME, password=None)
    with world.ctx.db.write() as session:
        link = accounts.send_invitation(world.ctx, session, session.get(Member, member_id))
    message = mailbox.wait_for("zoe@example.org")
    assert str(message["Subject"]) == "Votre invitation à Tribune"
    plain, html = _parts(message)
    assert f"Bonjour {HOSTILE_NAME}," in plain  # plain text is not HTML: the name as typed
    assert link in plain and link.startswith("http://testserver/invitation/")
    assert '<script>alert("nom")</script>' not in html
    root = _html(html)
    assert root.get("lang") == "fr"
    assert f"Bonjour {HOSTILE_NAME}," in _text(root.find("body"))  # shown, as text
    assert set(_links(html)) == {link}
    assert [_text(a) for a in root.iter("a")][0] == "Choisir mon mot de passe"
    _assert_self_contained(html)


def test_password_reset_has_both_parts_with_the_same_link(client, world, mailbox):
    world.member("lea")
    page = client.get("/mot-de-passe/oubli")
    client.post("/mot-de-passe/oubli", data={"csrf_token": csrf_of(page.text), "email": "lea@example.org"})
    message = mailbox.wait_for("lea@example.org")
    assert str(message["Subject"]) == "Réinitialiser votre mot de passe Tribune"
    plain, html = _parts(message)
    link = mailbox.link("lea@example.org")
    assert "/mot-de-passe/nouveau/" in link
    assert set(_links(html)) == {link}
    assert "votre mot de passe ne change pas" in _text(_html(html).find("body"))
    _assert_self_contained(html)


def test_notification_email_escapes_a_hostile_title_and_author_in_the_html_part(world, mailbox):
    author_id = _member(world, "zoe", HOSTILE_NAME)
    world.member("camille")
    with world.ctx.db.write() as session:
        topic = statements.create_statement(world.ctx, session, session.get(Member, author_id), "general", HOSTILE_TITLE,
                                            "Nous, adhérent·es, appelons à l’unité du parti.", "camille@example.org")
        topic_id = topic.id
    message = mailbox.wait_for("camille@example.org")
    assert str(message["Subject"]) == "Tribune : invitation à cosigner une déclaration"
    plain, html = _parts(message)
    notice = f"{HOSTILE_NAME} Test vous invite à cosigner « {HOSTILE_TITLE} »."
    assert notice in plain
    assert "<img" not in html and "<script" not in html
    body = _html(html).find("body")
    assert notice in _text(body)
    link = re.search(r"https?://\S+", plain).group(0)
    assert link.startswith(f"http://testserver/t/{topic_id}#p")
    assert link in _links(html)
    assert "http://testserver/notifications/preferences" in plain
    assert "http://testserver/notifications/preferences" in _links(html)
    _assert_self_contained(html)


def test_notification_without_link_has_no_button(world, mailbox):
    lea = world.member("lea")
    with world.ctx.db.write() as session:
        notifications.notify(world.ctx, session, lea, "Un événement.", email_subject="Tribune : un événement")
    plain, html = _parts(mailbox.wait_for("lea@example.org"))
    assert "Un événement." in plain and "Un événement." in _text(_html(html).find("body"))
    assert _links(html) == ["http://testserver/notifications/preferences"]


def test_digest_has_both_parts_with_every_notice_and_its_link(client, world, mailbox):
    lea = world.member("lea")
    login(client, "lea@example.org")
    _set_pref(client, "digest")
    with world.ctx.db.write() as session:
        notifications.notify(world.ctx, session, lea, f"Nouveau sujet « {HOSTILE_TITLE} ».", link="/t/7",
                             email_subject="Tribune : nouveau sujet")
        notifications.notify(world.ctx, session, lea, "Sans lien.", email_subject="Tribune : sans lien")
    assert mailbox.messages == []
    run = subprocess.run([sys.executable, "-m", "forum", "send-digests"], capture_output=True, text=True,
                         env=_cli_env(world.ctx), timeout=120)
    assert run.returncode == 0, run.stderr
    message = mailbox.wait_for("lea@example.org")
    assert str(message["Subject"]) == "Tribune : 2 notification(s)"
    plain, html = _parts(message)
    assert f"Nouveau sujet « {HOSTILE_TITLE} »." in plain and "http://testserver/t/7" in plain
    items = [_text(li) for li in _html(html).iter("li")]
    assert items == [f"Nouveau sujet « {HOSTILE_TITLE} ».", "Sans lien."]
    assert "<img" not in html
    assert _links(html) == ["http://testserver/t/7", "http://testserver/notifications/preferences"]
    _assert_self_contained(html)
