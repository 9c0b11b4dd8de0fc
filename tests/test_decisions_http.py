"""Decisions on reported posts, claims, appeals, the journal and the transparency page."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from forum.models import AuditEntry, Member, MemberStatus, Post, PostStatus, Topic
from moderation.models import Appeal, AppealStatus, Decision, ReviewItem
from tests.conftest import csrf_of, login
from tests.test_reports_http import _published_post, _report
from tests.test_roster import _cli_env


def _reported_case(app, world, reporter: str = "max", reply: bool = False) -> tuple[int, int]:
    post_id = _published_post(world, reply=reply)
    world.ids.get(reporter) or world.member(reporter)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, f"{reporter}@example.org")
        assert _report(other, post_id, "attaque_personnelle").status_code == 200
    with world.ctx.db.read() as session:
        item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.post_id == post_id, ReviewItem.status == "open"))
    return post_id, item_id


def _decide(client, item_id: int, **fields: str):
    token = csrf_of(client.get(f"/moderation/elements/{item_id}").text)
    return client.post(f"/moderation/elements/{item_id}/decision", data={"csrf_token": token, **fields})


def _as(client, key: str) -> None:
    client.cookies.clear()
    login(client, f"{key}@example.org")


def test_hide_then_the_post_shows_a_placeholder_and_the_journal_records_it(client, app, world):
    post_id, item_id = _reported_case(app, world, reply=True)
    world.member("karim", role="moderator")
    _as(client, "karim")
    assert _decide(client, item_id, action="hide", reason_code="attaque_personnelle", reason_text="Propos insultants.").status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.HIDDEN
        topic_id = session.get(Post, post_id).topic_id
        entry = session.scalars(select(AuditEntry).where(AuditEntry.kind == "decision")).one()
    assert entry.public["action"] == "hide" and "reporters" not in entry.public
    assert entry.private["reporters"] == [world.ids["max"]]
    _as(client, "max")
    page = client.get(f"/t/{topic_id}")
    assert "Message masqué par la modération." in page.text and "parfaitement ordinaire" not in page.text


def test_keep_closes_the_case_and_unmasks(client, app, world):
    post_id, item_id = _reported_case(app, world)
    with world.ctx.db.write() as session:
        session.execute(update(Post).where(Post.id == post_id).values(masked_at=dt.datetime.now(dt.timezone.utc)))
    world.member("karim", role="moderator")
    _as(client, "karim")
    assert _decide(client, item_id, action="keep", reason_code="conforme").status_code == 303
    with world.ctx.db.read() as session:
        post = session.get(Post, post_id)
        assert post.status == PostStatus.PUBLISHED and post.masked_at is None
        assert session.get(ReviewItem, item_id).status.value == "closed"


def test_an_action_that_does_not_fit_the_post_is_refused(client, app, world):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    response = _decide(client, item_id, action="approve", reason_code="conforme")
    assert response.status_code == 422 and "décision possible" in response.text
    assert _decide(client, item_id, action="suspend", reason_code="attaque_personnelle", suspend_days="0").status_code == 422
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_lock_stops_replies(client, app, world):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    assert _decide(client, item_id, action="lock", reason_code="hors_sujet").status_code == 303
    with world.ctx.db.read() as session:
        topic_id = session.get(Post, post_id).topic_id
        assert session.get(Topic, topic_id).locked
    _as(client, "max")
    page = client.get(f"/t/{topic_id}")
    assert "Ce sujet est verrouillé" in page.text and "Publier" not in page.text
    forced = client.post(f"/t/{topic_id}/repondre", data={"csrf_token": csrf_of(page.text), "body": "Je réponds quand même",
                                                          "action": "publish"})
    assert forced.status_code == 403


def test_suspend_for_days_logs_the_author_out_and_ends_by_itself(client, app, world, mailbox):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as author:
        login(author, "lea@example.org")
        _as(client, "karim")
        assert _decide(client, item_id, action="suspend", reason_code="attaque_personnelle",
                       reason_text="Récidive.", suspend_days="3").status_code == 303
        assert author.get("/").status_code == 303  # the author's open session died at once
    with world.ctx.db.read() as session:
        lea = session.get(Member, world.ids["lea"])
        assert lea.status == MemberStatus.SUSPENDED and lea.suspended_until is not None
    assert "suspension de 3 jours" in mailbox.body(mailbox.wait_for("lea@example.org"))
    client.cookies.clear()
    refused = login(client, "lea@example.org")
    assert refused.status_code == 403 and "suspendu jusqu’au" in refused.text
    world.ctx.clock = lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3, minutes=1)
    assert login(client, "lea@example.org").status_code == 303


def test_a_claimed_case_is_reserved_to_its_moderator(client, app, world):
    _, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    world.member("paula", role="moderator")
    _as(client, "karim")
    page = client.get(f"/moderation/elements/{item_id}")
    client.post(f"/moderation/elements/{item_id}/prise-en-charge", data={"csrf_token": csrf_of(page.text)})
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as other:
        login(other, "paula@example.org")
        assert "pris en charge par Karim Test" in other.get("/moderation").text
        refused = _decide(other, item_id, action="keep", reason_code="conforme")
        assert refused.status_code == 403 and "pris en charge par Karim" in refused.text
    assert _decide(client, item_id, action="keep", reason_code="conforme").status_code == 303


def test_reporter_is_recused_even_by_direct_post(client, app, world):
    _, item_id = _reported_case(app, world, reporter="karim2")
    with world.ctx.db.write() as session:
        session.execute(update(Member).where(Member.id == world.ids["karim2"]).values(role="moderator"))
    _as(client, "karim2")
    page = client.get(f"/moderation/elements/{item_id}")
    assert "vous avez signalé ce message" in page.text
    forced = client.post(f"/moderation/elements/{item_id}/decision",
                         data={"csrf_token": csrf_of(page.text), "action": "hide", "reason_code": "montage"})
    assert forced.status_code == 403


def test_queue_filters_by_reason_and_federation(client, app, world):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    assert f"/moderation/elements/{item_id}" in client.get("/moderation?raison=attaque_personnelle").text
    assert f"/moderation/elements/{item_id}" not in client.get("/moderation?raison=montage").text
    assert f"/moderation/elements/{item_id}" not in client.get("/moderation?etat=closed").text
    assert f"/moderation/elements/{item_id}" not in client.get("/moderation?age=5").text


def test_appeal_is_decided_by_another_moderator_and_overturns(client, app, world, mailbox):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    world.member("paula", role="moderator")
    _as(client, "karim")
    _decide(client, item_id, action="hide", reason_code="attaque_personnelle")
    with world.ctx.db.read() as session:
        decision_id = session.scalar(select(Decision.id))
    _as(client, "lea")
    page = client.get(f"/decisions/{decision_id}/appel")
    assert page.status_code == 200 and "Faire appel" in page.text
    short = client.post(f"/decisions/{decision_id}/appel", data={"csrf_token": csrf_of(page.text), "text": "non"})
    assert short.status_code == 422
    filed = client.post(f"/decisions/{decision_id}/appel",
                        data={"csrf_token": csrf_of(page.text), "text": "Je citais un article, pas une attaque."})
    assert filed.status_code == 303
    again = client.post(f"/decisions/{decision_id}/appel",
                        data={"csrf_token": csrf_of(page.text), "text": "Je fais appel une seconde fois."})
    assert again.status_code == 422 and "déjà fait appel" in again.text
    with world.ctx.db.read() as session:
        appeal_id = session.scalar(select(Appeal.id))
    _as(client, "karim")  # the moderator who decided cannot decide the appeal
    token = csrf_of(client.get("/moderation/appels").text)
    refused = client.post(f"/moderation/appels/{appeal_id}/decision",
                          data={"csrf_token": token, "outcome": "upheld", "reason_text": "Je maintiens."})
    assert refused.status_code == 403 and "récusé" in refused.text
    _as(client, "paula")
    listing = client.get("/moderation/appels")
    assert "Je citais un article" in listing.text
    done = client.post(f"/moderation/appels/{appeal_id}/decision",
                       data={"csrf_token": csrf_of(listing.text), "outcome": "overturned", "reason_text": "Citation exacte."})
    assert done.status_code == 303
    with world.ctx.db.read() as session:
        assert session.get(Post, post_id).status == PostStatus.PUBLISHED
        assert session.get(Appeal, appeal_id).status == AppealStatus.OVERTURNED
    transparency = client.get("/transparence").text
    assert "masqué" in transparency and "annulée en appel" in transparency
    assert "Je citais un article" not in transparency and "Max" not in transparency


def test_appeal_window_is_fourteen_days(client, app, world):
    _, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    _decide(client, item_id, action="warn", reason_code="attaque_personnelle")
    with world.ctx.db.read() as session:
        decision_id = session.scalar(select(Decision.id))
    world.ctx.clock = lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=14, minutes=1)
    _as(client, "lea")
    page = client.get(f"/decisions/{decision_id}/appel")
    assert "délai d’appel de 14 jours est passé" in page.text
    late = client.post(f"/decisions/{decision_id}/appel", data={"csrf_token": csrf_of(page.text), "text": "Trop tard peut-être ?"})
    assert late.status_code == 422


def test_someone_elses_decision_is_not_theirs_to_appeal(client, app, world):
    _, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    _decide(client, item_id, action="hide", reason_code="attaque_personnelle")
    with world.ctx.db.read() as session:
        decision_id = session.scalar(select(Decision.id))
    _as(client, "max")
    assert client.get(f"/decisions/{decision_id}/appel").status_code == 404


def _journal_cli(ctx) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forum", "verify-journal"], capture_output=True, text=True,
                          env=_cli_env(ctx), timeout=120)


def _three_decisions(client, app, world) -> None:
    world.member("karim", role="moderator")
    for reporter in ("max", "nina", "omar"):
        _, item_id = _reported_case(app, world, reporter=reporter)
        _as(client, "karim")
        assert _decide(client, item_id, action="keep", reason_code="conforme").status_code == 303


def test_verify_journal_passes_on_an_untouched_chain(client, app, world):
    _three_decisions(client, app, world)
    result = _journal_cli(world.ctx)
    assert result.returncode == 0 and "Journal intègre : 3 entrée(s)" in result.stdout


def test_verify_journal_names_a_changed_entry(client, app, world):
    _three_decisions(client, app, world)
    with world.ctx.db.write() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        entry.public = {**entry.public, "action": "hide"}
    result = _journal_cli(world.ctx)
    assert result.returncode == 1 and "entrée n° 2 modifiée" in result.stderr


def test_verify_journal_names_a_removed_entry(client, app, world):
    _three_decisions(client, app, world)
    with world.ctx.db.write() as session:
        session.delete(session.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one())
    result = _journal_cli(world.ctx)
    assert result.returncode == 1 and "entrée n° 2 supprimée" in result.stderr


def test_verify_journal_names_an_inserted_entry(client, app, world):
    from forum import journal

    _three_decisions(client, app, world)
    with world.ctx.db.write() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).all()
        for entry in entries:  # make room after entry 1, as a forger would
            if entry.seq >= 2:
                entry.seq += 10
                session.flush()
        for entry in sorted(entries, key=lambda e: e.seq):
            if entry.seq >= 12:
                entry.seq -= 9
                session.flush()
        first = session.scalars(select(AuditEntry).where(AuditEntry.seq == 1)).one()
        moment = dt.datetime.now(dt.timezone.utc)
        forged = {"decision_id": 999, "category": "Général", "action": "keep", "reason_code": "conforme"}
        session.add(AuditEntry(seq=2, created_at=moment, kind="decision", public=forged, private={},
                               prev_hash=first.hash, hash=journal.entry_hash(first.hash, 2, moment, "decision", forged, {})))
    result = _journal_cli(world.ctx)
    assert result.returncode == 1 and "entrée n° 2 insérée" in result.stderr


def test_roster_import_role_change_and_suspension_are_journalled(client, world):
    from tests.test_roster import DATA

    world.member("alice", role="admin")
    world.member("lea")
    env = _cli_env(world.ctx)
    run = lambda *args: subprocess.run([sys.executable, "-m", "forum", *args], capture_output=True, text=True,  # noqa: E731
                                       env=env, timeout=120)
    assert run("import-roster", str(DATA / "roster_mixed.csv")).returncode == 0
    assert run("set-role", "lea@example.org", "moderator", "--moderates", "paris", "--by", "alice@example.org").returncode == 0
    assert run("set-status", "lea@example.org", "suspended", "--days", "2", "--reason", "Menaces",
               "--by", "alice@example.org").returncode == 0
    refused = run("set-role", "lea@example.org", "admin", "--by", "lea@example.org")
    assert refused.returncode == 1 and "administrateur" in refused.stderr
    with world.ctx.db.read() as session:
        kinds = list(session.scalars(select(AuditEntry.kind).order_by(AuditEntry.seq)))
        lea = session.get(Member, world.ids["lea"])
    assert kinds == ["roster_import", "role_change", "member_status"]
    assert lea.status == MemberStatus.SUSPENDED and lea.role.value == "moderator"
    assert _journal_cli(world.ctx).returncode == 0


def test_hiding_the_opening_post_takes_the_whole_topic_out_of_sight(client, app, world):
    post_id, item_id = _reported_case(app, world)
    world.member("karim", role="moderator")
    _as(client, "karim")
    _decide(client, item_id, action="hide", reason_code="attaque_personnelle")
    with world.ctx.db.read() as session:
        topic_id = session.get(Post, post_id).topic_id
    _as(client, "max")
    assert client.get(f"/t/{topic_id}").status_code == 404
    assert "Un sujet ordinaire" not in client.get("/c/general").text
    _as(client, "lea")
    assert "Message masqué par la modération." in client.get(f"/t/{topic_id}").text
