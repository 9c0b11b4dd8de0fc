"""Context notes: moderators' notes show at once; members' notes need agreement across rival camps."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import Post
from moderation import notes
from moderation.models import ContextNote, NoteStatus
from tests.conftest import csrf_of, login
from tests.test_reports_http import _published_post


def test_rule_needs_two_ratings_helpful_in_each_of_two_camps():
    rule = notes.helpful_across_camps
    assert rule([("A", True), ("A", True), ("B", True), ("B", True)])
    assert not rule([("A", True)] * 10)  # one camp alone, however many
    assert not rule([("A", True), ("A", True), ("B", True)])  # only one rating from B
    assert not rule([("A", True), ("A", True), ("B", True), ("B", False)])  # B split: no majority
    assert rule([("A", True), ("A", True), ("A", False), ("B", True), ("B", True), ("C", False)])
    assert not rule([(None, True)] * 6)  # members who support nobody do not count


@pytest.fixture
def camps(monkeypatch):
    """Camps as designations will give them (endorsements); here a plain mapping by member key."""
    mapping: dict[int, str] = {}
    monkeypatch.setattr(notes, "camp_lookup", lambda session, ids, as_of=None: {i: mapping[i] for i in ids if i in mapping})
    return mapping


def _topic_of(world, post_id: int) -> int:
    with world.ctx.db.read() as session:
        return session.scalar(select(Post.topic_id).where(Post.id == post_id))


def _propose(client, world, post_id: int, text: str):
    page = client.get(f"/t/{_topic_of(world, post_id)}")
    return client.post(f"/p/{post_id}/notes", data={"csrf_token": csrf_of(page.text), "note": text})


def _rate(client, world, note_id: int, post_id: int, helpful: bool):
    page = client.get(f"/t/{_topic_of(world, post_id)}")
    return client.post(f"/notes/{note_id}/evaluation", data={"csrf_token": csrf_of(page.text), "helpful": "1" if helpful else "0"})


def test_moderator_note_is_shown_at_once_and_journalled(client, world):
    from forum.models import AuditEntry

    post_id = _published_post(world)
    world.member("karim", role="moderator")
    login(client, "karim@example.org")
    page = client.get(f"/t/{_topic_of(world, post_id)}")
    response = client.post(f"/p/{post_id}/notes", data={"csrf_token": csrf_of(page.text), "note": "Cette citation date de 2012.",
                                                        "as_moderator": "1"})
    assert response.status_code == 303
    world.member("max")
    client.cookies.clear()
    login(client, "max@example.org")
    shown = client.get(f"/t/{_topic_of(world, post_id)}").text
    assert "Note de contexte de la modération" in shown and "Cette citation date de 2012." in shown
    with world.ctx.db.read() as session:
        assert session.scalar(select(AuditEntry.kind)) == "context_note"


def test_a_member_cannot_pass_as_moderator(client, world):
    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    page = client.get(f"/t/{_topic_of(world, post_id)}")
    response = client.post(f"/p/{post_id}/notes", data={"csrf_token": csrf_of(page.text), "note": "Je décide.",
                                                        "as_moderator": "1"})
    assert response.status_code == 403


def test_note_rated_by_one_camp_only_stays_hidden(client, app, world, camps):
    from starlette.testclient import TestClient

    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    assert _propose(client, world, post_id, "Le tweet cité répondait à un journaliste.").status_code == 303
    with world.ctx.db.read() as session:
        note_id = session.scalar(select(ContextNote.id))
    for key in ("a1", "a2", "a3"):
        camps[world.member(key)] = "candidat-A"
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as rater:
            login(rater, f"{key}@example.org")
            assert _rate(rater, world, note_id, post_id, True).status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(ContextNote, note_id).status == NoteStatus.PROPOSED
    world.member("reader")
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as reader:
        login(reader, "reader@example.org")
        page = reader.get(f"/t/{_topic_of(world, post_id)}").text
    assert "pas encore affichée" in page and "jugée utile par des soutiens" not in page


def test_note_helpful_across_two_camps_is_shown(client, app, world, camps):
    from starlette.testclient import TestClient

    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    _propose(client, world, post_id, "Le tweet cité répondait à un journaliste.")
    with world.ctx.db.read() as session:
        note_id = session.scalar(select(ContextNote.id))
    for key, camp in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B")):
        camps[world.member(key)] = camp
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as rater:
            login(rater, f"{key}@example.org")
            _rate(rater, world, note_id, post_id, True)
    with world.ctx.db.read() as session:
        assert session.get(ContextNote, note_id).status == NoteStatus.SHOWN
    page = client.get(f"/t/{_topic_of(world, post_id)}").text
    assert "jugée utile par des soutiens de candidat·es différent·es" in page


def test_author_cannot_rate_own_note_nor_propose_on_own_post(client, world):
    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    _propose(client, world, post_id, "Une note.")
    with world.ctx.db.read() as session:
        note_id = session.scalar(select(ContextNote.id))
    assert _rate(client, world, note_id, post_id, True).status_code == 422
    assert _propose(client, world, post_id, "Une seconde note.").status_code == 422
    client.cookies.clear()
    login(client, "lea@example.org")
    assert _propose(client, world, post_id, "Note sur mon propre message.").status_code == 422
