"""Designations: calendar enforced by the (injectable) clock, candidacies, endorsements, questions,
position replies and the matrix, committees, right of reply, co-signed statements."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from forum.models import (
    AuditEntry,
    Candidacy,
    CandidacyStatus,
    Cosignature,
    Designation,
    Endorsement,
    Post,
    PostKind,
    Quote,
    QuoteReply,
)
from tests.conftest import csrf_of, login

UTC = dt.timezone.utc
T0 = dt.datetime(2027, 1, 10, 12, 0, tzinfo=UTC)  # the designation's calendar is built around this


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(world) -> Clock:
    clock = Clock(T0 - dt.timedelta(days=5))
    world.ctx.clock = clock
    return clock


def _post(client, page: str, action: str, data: dict[str, str]):
    return client.post(action, data={"csrf_token": csrf_of(client.get(page).text), **data})


def _as(client, key: str) -> None:
    client.cookies.clear()
    login(client, f"{key}@example.org")


def _open_designation(client, world, federation: str = "") -> str:
    world.ids.get("alice") or world.member("alice", role="admin")
    _as(client, "alice")
    fmt = lambda d: d.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    response = _post(client, "/designations/nouvelle", "/designations/nouvelle", {
        "title": "Tête de liste 2027", "federation": federation,
        "candidacies_open_at": fmt(T0 - dt.timedelta(days=1)), "candidacy_deadline": fmt(T0 + dt.timedelta(days=10)),
        "debate_ends_at": fmt(T0 + dt.timedelta(days=30)), "vote_at": fmt(T0 + dt.timedelta(days=31)),
        "voting_url": "https://vote.example.org/2027", "one_endorsement": "1", "endorsers_public": "1",
    })
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _declare(client, slug: str, key: str) -> int:
    _as(client, key)
    response = _post(client, f"/designations/{slug}", f"/designations/{slug}/candidature",
                     {"statement": f"Je suis {key} et je porte un projet de rassemblement pour 2027."})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _validate(client, candidacy_id: int) -> None:
    _as(client, "alice")
    response = _post(client, f"/candidatures/{candidacy_id}", f"/candidatures/{candidacy_id}/decision",
                     {"decision": "validate", "reason": ""})
    assert response.status_code == 303


def test_phase_is_derived_from_the_calendar_and_enforced(client, world, clock):
    slug = _open_designation(client, world)
    world.member("camille")
    assert "à venir" in client.get(f"/designations/{slug}").text
    _as(client, "camille")
    early = _post(client, f"/designations/{slug}", f"/designations/{slug}/candidature",
                  {"statement": "Une candidature trop tôt, avant l’ouverture."})
    assert early.status_code == 403 and "pas encore ouvertes" in early.text
    clock.now = T0
    _as(client, "camille")  # moving the clock days ahead ends idle sessions: log in again
    assert "candidatures ouvertes" in client.get(f"/designations/{slug}").text
    _declare(client, slug, "camille")
    clock.now = T0 + dt.timedelta(days=11)
    world.member("jean")
    _as(client, "jean")
    late = _post(client, f"/designations/{slug}", f"/designations/{slug}/candidature",
                 {"statement": "Une candidature après la date limite."})
    assert late.status_code == 403 and "date limite des candidatures est passée" in late.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Candidacy)) == 1
    assert "débat" in client.get(f"/designations/{slug}").text
    clock.now = T0 + dt.timedelta(days=40)
    _as(client, "jean")
    assert ">clos<" in client.get(f"/designations/{slug}").text


def test_bad_calendar_is_refused_with_the_draft_kept(client, world, clock):
    world.member("alice", role="admin")
    _as(client, "alice")
    response = _post(client, "/designations/nouvelle", "/designations/nouvelle", {
        "title": "Primaire mal datée", "federation": "", "candidacies_open_at": "2027-02-01 10:00",
        "candidacy_deadline": "2027-01-01 10:00", "debate_ends_at": "pas une date", "vote_at": "2027-03-01 10:00"})
    assert response.status_code == 422 and "Date invalide" in response.text
    assert 'value="Primaire mal datée"' in response.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Designation)) == 0


def test_only_admins_open_designations_and_validate(client, world, clock):
    world.member("lea")
    _as(client, "lea")
    assert client.get("/designations/nouvelle").status_code == 403
    slug = _open_designation(client, world)
    clock.now = T0
    candidacy = _declare(client, slug, "lea")
    world.member("max")
    _as(client, "max")
    forced = _post(client, f"/candidatures/{candidacy}", f"/candidatures/{candidacy}/decision", {"decision": "validate"})
    assert forced.status_code == 403
    _as(client, "alice")
    refusal = _post(client, f"/candidatures/{candidacy}", f"/candidatures/{candidacy}/decision",
                    {"decision": "refuse", "reason": ""})
    assert refusal.status_code == 422 and "motivé" in refusal.text
    with world.ctx.db.read() as session:
        assert session.get(Candidacy, candidacy).status == CandidacyStatus.DECLARED


def test_federation_designation_is_for_that_federations_members(client, world, clock):
    slug = _open_designation(client, world, federation="rhone")
    clock.now = T0
    world.member("lea", federation="paris")
    _as(client, "lea")
    response = _post(client, f"/designations/{slug}", f"/designations/{slug}/candidature",
                     {"statement": "Je ne suis pas de cette fédération mais j’essaie."})
    assert response.status_code == 403 and "autre fédération" in response.text


def test_endorsements_one_per_designation_counted_by_federation_and_withdrawal_logged(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    world.member("jean", federation="rhone")
    c1, c2 = _declare(client, slug, "camille"), _declare(client, slug, "jean")
    world.member("max", federation="rhone")
    _as(client, "max")
    assert _post(client, f"/candidatures/{c1}", f"/candidatures/{c1}/parrainage", {}).status_code == 303
    second = _post(client, f"/candidatures/{c2}", f"/candidatures/{c2}/parrainage", {})
    assert second.status_code == 422 and "déjà une autre candidature" in second.text
    page = client.get(f"/candidatures/{c1}").text
    assert "Parrainages\u00a0: 1" in page and "Rhône" in page and "Max Test" in page
    assert _post(client, f"/candidatures/{c1}", f"/candidatures/{c1}/parrainage/retrait", {}).status_code == 303
    assert _post(client, f"/candidatures/{c2}", f"/candidatures/{c2}/parrainage", {}).status_code == 303
    with world.ctx.db.read() as session:
        kinds = list(session.scalars(select(AuditEntry.kind).order_by(AuditEntry.seq)))
        active = session.scalar(select(func.count()).select_from(Endorsement).where(Endorsement.withdrawn_at.is_(None)))
    assert "endorsement_withdrawn" in kinds and active == 1


def test_an_endorsement_cannot_be_withdrawn_once_the_debate_is_closed(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    c1 = _declare(client, slug, "camille")
    world.member("max")
    _as(client, "max")
    assert _post(client, f"/candidatures/{c1}", f"/candidatures/{c1}/parrainage", {}).status_code == 303
    clock.now = T0 + dt.timedelta(days=30, hours=1)  # after the end of the debate
    _as(client, "max")
    page = client.get(f"/candidatures/{c1}").text
    assert "Retirer mon parrainage" not in page
    # Sent anyway (an old tab, a script): refused, and the count does not move.
    late = client.post(f"/candidatures/{c1}/parrainage/retrait", data={"csrf_token": csrf_of(page)})
    assert late.status_code == 422 and "les parrainages sont figés" in late.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Endorsement).where(Endorsement.withdrawn_at.is_(None))) == 1
        assert "endorsement_withdrawn" not in list(session.scalars(select(AuditEntry.kind)))


def test_questions_position_replies_and_the_matrix(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    world.member("jean")
    c1, c2 = _declare(client, slug, "camille"), _declare(client, slug, "jean")
    _validate(client, c1)
    _validate(client, c2)
    world.member("max")
    _as(client, "max")
    early = _post(client, f"/designations/{slug}/questions", f"/designations/{slug}/questions",
                  {"title": "Quelle place pour les fédérations rurales ?", "body": "Précisez vos engagements."})
    assert early.status_code == 403  # questions open with the debate
    clock.now = T0 + dt.timedelta(days=12)
    _as(client, "max")
    asked = _post(client, f"/designations/{slug}/questions", f"/designations/{slug}/questions",
                  {"title": "Quelle place pour les fédérations rurales ?", "body": "Précisez vos engagements."})
    assert asked.status_code == 303
    topic_id = int(asked.headers["location"].rsplit("/", 1)[1])
    matrix = client.get(f"/designations/{slug}/matrice").text
    assert matrix.count("pas encore de réponse") == 2
    refused = _post(client, f"/t/{topic_id}", f"/t/{topic_id}/position", {"body": "Je ne suis pas candidat."})
    assert refused.status_code == 403
    _as(client, "camille")
    assert "Votre réponse officielle de candidat·e" in client.get(f"/t/{topic_id}").text
    assert _post(client, f"/t/{topic_id}", f"/t/{topic_id}/position", {"body": "Une fédération rurale sur deux au bureau."}).status_code == 303
    twice = _post(client, f"/t/{topic_id}", f"/t/{topic_id}/position", {"body": "Encore une fois."})
    assert twice.status_code == 422
    matrix = client.get(f"/designations/{slug}/matrice").text
    assert "Une fédération rurale sur deux au bureau." in matrix and matrix.count("pas encore de réponse") == 1
    with world.ctx.db.read() as session:
        reply = session.scalar(select(Post).where(Post.kind == PostKind.POSITION_REPLY))
    # After the vote: frozen. A later edit shows as such, and the matrix keeps the version of the vote.
    clock.now = T0 + dt.timedelta(days=32)
    _as(client, "jean")
    late = _post(client, f"/t/{topic_id}", f"/t/{topic_id}/position", {"body": "Trop tard."})
    assert late.status_code == 403 and "figées" in late.text
    _as(client, "camille")
    edit = _post(client, f"/p/{reply.id}/modifier", f"/p/{reply.id}/modifier",
                 {"body": "Réponse réécrite après le vote.", "quote_count": "0", "action": "publish"})
    assert edit.status_code == 303
    matrix = client.get(f"/designations/{slug}/matrice").text
    assert "Une fédération rurale sur deux au bureau." in matrix and "réécrite après le vote" not in matrix
    assert "modifiée après le vote" in matrix
    # The candidate's own page shows the same version, the one members voted on.
    candidacy_page = client.get(f"/candidatures/{c1}").text
    assert "Une fédération rurale sur deux au bureau." in candidacy_page
    assert "réécrite après le vote" not in candidacy_page and f"/p/{reply.id}/historique" in candidacy_page
    clock.now = T0 + dt.timedelta(days=40)
    _as(client, "max")
    closed = _post(client, f"/designations/{slug}/questions", f"/designations/{slug}/questions",
                   {"title": "Une question tardive ?", "body": "Trop tard."})
    assert closed.status_code == 403 and "débat est terminé" in closed.text


def test_withdrawn_candidacy_is_kept_and_shown(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    assert _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/retrait", {}).status_code == 303
    assert "candidature retirée" in client.get(f"/candidatures/{cid}").text
    assert "retirée" in client.get(f"/designations/{slug}").text


def test_committee_meetings_on_the_candidacy_page(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    world.member("max")
    world.member("nina")
    _as(client, "max")
    refused = _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/comites", {"description": "Comité"})
    assert refused.status_code == 403  # supporters only
    _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/parrainage", {})
    created = _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/comites", {"description": "Comité de Paris"})
    assert created.status_code == 303
    page = client.get(f"/candidatures/{cid}").text
    committee_id = int(re.search(r'href="/comites/(\d+)"', page).group(1))
    meeting = _post(client, f"/comites/{committee_id}", f"/comites/{committee_id}/reunions",
                    {"starts_at": "2027-01-20 19:00", "place": "Salle Jean-Jaurès", "description": "Réunion publique"})
    assert meeting.status_code == 303
    _as(client, "nina")
    assert _post(client, f"/comites/{committee_id}", f"/comites/{committee_id}/rejoindre", {}).status_code == 403
    _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/parrainage", {})
    assert _post(client, f"/comites/{committee_id}", f"/comites/{committee_id}/rejoindre", {}).status_code == 303
    committee = client.get(f"/comites/{committee_id}").text
    assert "Salle Jean-Jaurès" in committee and "Nina Test" in committee and "Max Test" in committee


def test_right_of_reply_appears_on_the_quote_card(client, world, clock, mailbox):
    from tests.test_quotes_http import quote_fields, submit

    world.member("camille")
    world.member("max")
    _as(client, "max")
    data = {"title": "Une vieille déclaration", "body": "Voici ce qu’elle disait en 2012.", "quote_count": "1"}
    data |= quote_fields(0, kind="article", author="Camille Test", quoted_member="camille@example.org",
                         said_at="2012-05-02", source_url="https://journal.example/2012/entretien",
                         context="Entretien au journal régional, mai 2012.", text="Je ne serai jamais candidate.")
    response = submit(client, "/c/general/nouveau", "/c/general/nouveau", data)
    assert response.status_code == 303
    topic_url = response.headers["location"]
    with world.ctx.db.read() as session:
        quote = session.scalars(select(Quote)).one()
    assert quote.quoted_member_id == world.ids["camille"]
    assert f"/citations/{quote.id}/reponse" in mailbox.link("camille@example.org")
    assert client.get(f"/citations/{quote.id}/reponse").status_code == 403  # only the person quoted
    _as(client, "camille")
    reply = _post(client, f"/citations/{quote.id}/reponse", f"/citations/{quote.id}/reponse",
                  {"reply": "C’était avant le congrès de 2015, qui a changé nos statuts."})
    assert reply.status_code == 303
    _as(client, "max")
    page = client.get(topic_url).text
    assert "Réponse de la personne citée" in page and "avant le congrès de 2015" in page
    # The author cannot make the reply disappear by removing the quote.
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id))
    removed = submit(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier",
                     {"body": "J’ai retiré la citation.", "quote_count": "0"})
    assert removed.status_code == 422 and "ne peut plus être" in removed.text
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(QuoteReply)) == 1


def test_statement_cosigned_edited_and_re_signed_by_two(client, world, clock):
    for key in ("lea", "a", "b", "c"):
        world.member(key)
    _as(client, "lea")
    created = _post(client, "/c/general/declaration", "/c/general/declaration", {
        "title": "Pour un congrès ouvert", "body": "Nous demandons un congrès ouvert à tous les adhérents.",
        "invitees": "a@example.org, b@example.org; c@example.org"})
    assert created.status_code == 303
    topic_url = created.headers["location"]
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).where(Post.kind == PostKind.STATEMENT))
    for key in ("a", "b", "c"):
        _as(client, key)
        assert _post(client, topic_url, f"/p/{post_id}/signer", {}).status_code == 303
    _as(client, "lea")
    edit = _post(client, f"/p/{post_id}/modifier", f"/p/{post_id}/modifier",
                 {"body": "Nous demandons un congrès ouvert à tous les adhérents, en juin.", "quote_count": "0",
                  "action": "publish"})
    assert edit.status_code == 303
    for key in ("a", "b"):
        _as(client, key)
        assert _post(client, topic_url, f"/p/{post_id}/signer", {}).status_code == 303
    page = client.get(topic_url).text
    assert page.count("a signé cette version") == 2
    assert page.count("doit signer à nouveau la version modifiée") == 1
    _as(client, "c")
    assert _post(client, topic_url, f"/p/{post_id}/retirer-signature", {}).status_code == 303
    assert "a retiré sa signature" in client.get(topic_url).text
    world.member("intrus")
    _as(client, "intrus")
    assert _post(client, topic_url, f"/p/{post_id}/signer", {}).status_code == 403
    with world.ctx.db.read() as session:
        assert session.scalar(select(AuditEntry.kind).where(AuditEntry.kind == "signature_withdrawn")) is not None
        assert session.scalar(select(func.count()).select_from(Cosignature).where(Cosignature.signed_revision == 2)) == 2


def test_a_moderator_who_endorses_a_candidate_is_recused_in_that_designation(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    _validate(client, cid)
    world.member("karim", role="moderator")
    _as(client, "karim")
    _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/parrainage", {})
    clock.now = T0 + dt.timedelta(days=12)
    world.member("max")
    world.member("nina")
    _as(client, "max")
    asked = _post(client, f"/designations/{slug}/questions", f"/designations/{slug}/questions",
                  {"title": "Une question qui fâche ?", "body": "Une question polémique."})
    topic_id = int(asked.headers["location"].rsplit("/", 1)[1])
    with world.ctx.db.read() as session:
        post_id = session.scalar(select(Post.id).where(Post.topic_id == topic_id))
    _as(client, "nina")
    _post(client, f"/p/{post_id}/signaler", f"/p/{post_id}/signaler", {"reason_code": "hors_sujet"})
    _as(client, "karim")
    from moderation.models import ReviewItem

    with world.ctx.db.read() as session:
        item_id = session.scalar(select(ReviewItem.id))
    page = client.get(f"/moderation/elements/{item_id}").text
    assert "vous soutenez un·e candidat·e de cette désignation" in page
    forced = client.post(f"/moderation/elements/{item_id}/decision",
                         data={"csrf_token": csrf_of(page), "action": "hide", "reason_code": "hors_sujet"})
    assert forced.status_code == 403


def test_questions_cannot_bypass_the_calendar_through_the_category_form(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0  # candidacies open: no questions yet
    world.member("max")
    _as(client, "max")
    with world.ctx.db.read() as session:
        from forum.models import Category

        category = session.scalar(select(Category.slug).where(Category.designation_id.is_not(None)))
    response = _post(client, f"/c/{category}/nouveau", f"/c/{category}/nouveau",
                     {"title": "Une question en avance ?", "body": "Par la porte de derrière.", "quote_count": "0",
                      "action": "publish"})
    assert response.status_code == 403 and "depuis la page de la désignation" in response.text
    statement = _post(client, f"/c/{category}/declaration", f"/c/{category}/declaration",
                      {"title": "Une déclaration ici ?", "body": "Texte.", "invitees": ""})
    assert statement.status_code == 403


def test_a_candidate_cannot_endorse_their_own_candidacy(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    response = _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/parrainage", {})
    assert response.status_code == 403
    with world.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Endorsement)) == 0


def test_private_endorsers_are_not_named_on_the_committee_page(client, world, clock):
    world.member("alice", role="admin")
    _as(client, "alice")
    fmt = lambda d: d.strftime("%Y-%m-%d %H:%M")  # noqa: E731
    response = _post(client, "/designations/nouvelle", "/designations/nouvelle", {
        "title": "Investiture discrète", "federation": "",
        "candidacies_open_at": fmt(T0 - dt.timedelta(days=1)), "candidacy_deadline": fmt(T0 + dt.timedelta(days=10)),
        "debate_ends_at": fmt(T0 + dt.timedelta(days=30)), "vote_at": fmt(T0 + dt.timedelta(days=31)),
        "one_endorsement": "1"})  # endorsers_public unticked
    slug = response.headers["location"].rsplit("/", 1)[1]
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    world.member("max")
    _as(client, "max")
    _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/parrainage", {})
    _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/comites", {"description": "Comité"})
    committee_id = int(re.search(r'href="/comites/(\d+)"', client.get(f"/candidatures/{cid}").text).group(1))
    assert "Max Test" in client.get(f"/comites/{committee_id}").text  # the committee sees its members
    world.member("nina")
    _as(client, "nina")
    page = client.get(f"/comites/{committee_id}").text
    assert "Max Test" not in page and "pas publique" in page


def test_candidate_photo_is_reencoded_and_shown(client, world, clock):
    import io

    from PIL import Image

    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60), (0, 90, 160)).save(buffer, format="JPEG")
    page = client.get(f"/candidatures/{cid}")
    upload = client.post(f"/candidatures/{cid}/photo", data={"csrf_token": csrf_of(page.text)},
                         files={"photo": ("moi.jpg", buffer.getvalue(), "image/jpeg")})
    assert upload.status_code == 303
    refused = client.post(f"/candidatures/{cid}/photo", data={"csrf_token": csrf_of(page.text)},
                          files={"photo": ("moi.png", b"%PDF-1.7 pas une image", "image/png")})
    assert refused.status_code == 422 and "doit être une image" in refused.text
    world.member("max")
    _as(client, "max")
    shown = client.get(f"/candidatures/{cid}").text
    photo = re.search(r'<img class="candidate-photo" src="(/pieces/\d+)"', shown).group(1)
    assert client.get(photo).status_code == 200


def test_only_moderation_hides_a_reply_with_a_reason_and_a_journal_entry(client, world, clock, mailbox):
    from tests.test_quotes_http import quote_fields, submit

    world.member("camille")
    world.member("max")
    world.member("karim", role="moderator")
    _as(client, "max")
    data = {"title": "Une vieille déclaration", "body": "En 2012.", "quote_count": "1"}
    data |= quote_fields(0, kind="article", author="Camille Test", quoted_member="camille@example.org",
                         said_at="2012-05-02", source_url="https://journal.example/2012", context="Entretien, 2012.",
                         text="Je ne serai jamais candidate.")
    topic_url = submit(client, "/c/general/nouveau", "/c/general/nouveau", data).headers["location"]
    with world.ctx.db.read() as session:
        quote_id = session.scalar(select(Quote.id))
    _as(client, "camille")
    _post(client, f"/citations/{quote_id}/reponse", f"/citations/{quote_id}/reponse", {"reply": "Propos insultants envers Max."})
    with world.ctx.db.read() as session:
        reply_id = session.scalar(select(QuoteReply.id))
    _as(client, "max")
    assert _post(client, topic_url, f"/moderation/reponses/{reply_id}/masquer", {"reason_code": "attaque_personnelle"}).status_code == 403
    _as(client, "karim")
    page = client.get(topic_url)
    assert "Masquer cette réponse" in page.text
    no_reason = client.post(f"/moderation/reponses/{reply_id}/masquer", data={"csrf_token": csrf_of(page.text), "reason_code": ""})
    assert no_reason.status_code == 422
    done = client.post(f"/moderation/reponses/{reply_id}/masquer",
                       data={"csrf_token": csrf_of(page.text), "reason_code": "attaque_personnelle", "reason_text": "Insulte."})
    assert done.status_code == 303
    _as(client, "max")
    assert "Propos insultants" not in client.get(topic_url).text
    with world.ctx.db.read() as session:
        assert session.scalar(select(AuditEntry.kind).where(AuditEntry.kind == "quote_reply_hidden")) is not None
    bodies = [mailbox.body(m) for m in mailbox.messages if "camille@example.org" in str(m["To"])]
    assert any("a été masquée par la modération" in body and "Insulte." in body for body in bodies)


def test_every_version_of_a_profession_de_foi_is_viewable(client, world, clock):
    slug = _open_designation(client, world)
    clock.now = T0
    world.member("camille")
    cid = _declare(client, slug, "camille")
    edited = _post(client, f"/candidatures/{cid}", f"/candidatures/{cid}/profession-de-foi",
                   {"statement": "Je porte désormais un projet écologiste et social pour 2027."})
    assert edited.status_code == 303
    world.member("max")
    _as(client, "max")
    assert "voir toutes les versions" in client.get(f"/candidatures/{cid}").text
    versions = client.get(f"/candidatures/{cid}/versions").text
    assert "Version 2" in versions and "Version 1" in versions
    assert "<del" in versions and "rassemblement" in versions and "écologiste" in versions
