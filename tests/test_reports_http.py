"""Reports: one per member and post, rate-limited, gathered in one case, masking at a threshold."""

from __future__ import annotations

from sqlalchemy import func, select, update

from forum.models import Category, Post
from forum.services import posting
from moderation.models import Report, ReviewItem
from tests.conftest import csrf_of, login


def _published_post(world, author: str = "lea", category: str = "general", reply: bool = False) -> int:
    """A published post; with `reply`, the second post of a topic opened by someone else."""
    author_id = world.ids.get(author) or world.member(author)
    opener_id = (world.ids.get("opener") or world.member("opener")) if reply else None
    with world.ctx.db.write() as session:
        member = session.get(posting.Member, author_id)
        if reply:
            opener = session.get(posting.Member, opener_id)
            topic = posting.create_topic(world.ctx, session, opener, category, "Un sujet ouvert par un autre",
                                         "Message d’ouverture.")
            return posting.reply(world.ctx, session, member, topic.id,
                                 "Un message parfaitement ordinaire sur le programme.").id
        topic = posting.create_topic(world.ctx, session, member, category, "Un sujet ordinaire",
                                     "Un message parfaitement ordinaire sur le programme.")
        return session.scalar(select(Post.id).where(Post.topic_id == topic.id))


def _report(client, post_id: int, reason: str = "attaque_personnelle", text: str = ""):
    page = client.get(f"/p/{post_id}/signaler")
    return client.post(f"/p/{post_id}/signaler", data={"csrf_token": csrf_of(page.text), "reason_code": reason, "text": text})


def test_member_reports_a_post_and_a_second_report_is_refused_kindly(client, world):
    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    first = _report(client, post_id, "montage")
    assert first.status_code == 200 and "signalement est transmis" in first.text
    second = _report(client, post_id, "hors_sujet")
    assert second.status_code == 422 and "déjà signalé ce message" in second.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        assert session.scalar(select(func.count()).select_from(ReviewItem)) == 1


def test_reports_of_one_post_share_one_case(client, app, world):
    from starlette.testclient import TestClient

    post_id = _published_post(world)
    for key in ("max", "nina"):
        world.member(key)
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
            login(other, f"{key}@example.org")
            assert _report(other, post_id).status_code == 200
    with world.ctx.db.read() as session:
        items = session.scalars(select(ReviewItem)).all()
        assert len(items) == 1
        assert session.scalar(select(func.count()).select_from(Report).where(Report.review_item_id == items[0].id)) == 2


def test_other_reason_needs_a_precision_and_bad_input_changes_nothing(client, world):
    post_id = _published_post(world)
    world.member("max")
    login(client, "max@example.org")
    response = _report(client, post_id, "autre", "")
    assert response.status_code == 422 and "Précisez" in response.text
    assert _report(client, post_id, "nimporte").status_code == 422
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_one_cannot_report_ones_own_post(client, world):
    post_id = _published_post(world)
    login(client, "lea@example.org")
    assert _report(client, post_id).status_code == 422


def test_threshold_of_distinct_reporters_masks_the_post_for_others(client, app, world):
    from starlette.testclient import TestClient

    post_id = _published_post(world)
    with world.ctx.db.write() as session:
        session.execute(update(Category).values(report_threshold=2))
    for key in ("max", "nina"):
        world.member(key)
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
            login(other, f"{key}@example.org")
            _report(other, post_id)
    world.member("omar")
    login(client, "omar@example.org")
    with world.ctx.db.read() as session:
        topic_id = session.scalar(select(Post.topic_id).where(Post.id == post_id))
    page = client.get(f"/t/{topic_id}")
    assert "masqué en attente de modération" in page.text
    assert "parfaitement ordinaire" not in page.text
    client.cookies.clear()
    login(client, "lea@example.org")
    own = client.get(f"/t/{topic_id}")
    assert "parfaitement ordinaire" in own.text and "Vous seul·e en voyez encore le contenu" in own.text


def test_reports_are_rate_limited_per_hour(client, world):
    world.member("max")
    posts = [_published_post(world) for _ in range(11)]
    login(client, "max@example.org")
    for post_id in posts[:10]:
        assert _report(client, post_id).status_code == 200
    limited = _report(client, posts[10])
    assert limited.status_code == 429 and "Réessayez dans" in limited.text


def test_the_author_never_learns_who_reported(client, app, world, mailbox):
    from starlette.testclient import TestClient

    post_id = _published_post(world)
    world.member("max")
    world.member("karim", role="moderator")
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as reporter:
        login(reporter, "max@example.org")
        _report(reporter, post_id, "montage", "Il a coupé la phrase.")
    login(client, "karim@example.org")
    with world.ctx.db.read() as session:
        item_id = session.scalar(select(ReviewItem.id))
    item_page = client.get(f"/moderation/elements/{item_id}")
    assert "Max Test" in item_page.text  # moderators see the reporter
    token = csrf_of(item_page.text)
    client.post(f"/moderation/elements/{item_id}/decision",
                data={"csrf_token": token, "action": "hide", "reason_code": "montage", "reason_text": "Citation tronquée."})
    client.cookies.clear()
    login(client, "lea@example.org")
    for url in ("/notifications", "/transparence"):
        assert "Max" not in client.get(url).text
    body = mailbox.body(mailbox.wait_for("lea@example.org"))
    assert "Max" not in body and "Il a coupé la phrase" not in body
