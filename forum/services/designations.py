"""Designations and candidacies: calendar, professions de foi, endorsements, committees,
questions with position replies, and the question × candidate matrix.

The phase is derived from the calendar and the (injectable) clock, never stored, and
every rule of the calendar is enforced here rather than in pages.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import journal
from forum.charts import BarChart
from forum.context import Context
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.markup import render_markdown
from forum.models import (
    Candidacy,
    CandidacyRevision,
    CandidacyStatus,
    Category,
    Committee,
    CommitteeMember,
    Designation,
    Endorsement,
    Federation,
    Meeting,
    Member,
    MemberStatus,
    ModerationPolicy,
    Post,
    PostKind,
    PostRevision,
    PostStatus,
    Topic,
)
from forum.services import posting
from forum.services.notifications import notify

PARIS = ZoneInfo("Europe/Paris")
STATEMENT_MAX = 20_000


class Phase(str, enum.Enum):
    UPCOMING = "à venir"
    CANDIDACIES = "candidatures ouvertes"
    DEBATE = "débat"
    CLOSED = "clos"


def phase(designation: Designation, now: dt.datetime) -> Phase:
    if now < designation.candidacies_open_at:
        return Phase.UPCOMING
    if now < designation.candidacy_deadline:
        return Phase.CANDIDACIES
    if now < designation.debate_ends_at:
        return Phase.DEBATE
    return Phase.CLOSED


def parse_paris(value: str, field: str, errors: dict[str, str]) -> dt.datetime | None:
    """A date-time typed in Europe/Paris ("2027-01-15T18:00" or "2027-01-15 18:00")."""
    value = value.strip().replace(" ", "T")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        errors[field] = "Date invalide : écrivez AAAA-MM-JJ HH:MM (heure de Paris)."
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(dt.timezone.utc)


def _slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60] or "designation"


def _require_admin(actor: Member | None) -> Member:
    if actor is None or not actor.is_admin:
        raise Forbidden("Réservé aux administrateur·rices.")
    return actor


def _require_active(actor: Member | None) -> Member:
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden("Votre compte ne peut pas agir ici.")
    return actor


def in_scope(member: Member, designation: Designation) -> bool:
    return designation.federation_id is None or member.federation_id == designation.federation_id


def create_designation(
    ctx: Context, session: Session, actor: Member | None, *, title: str, federation_slug: str,
    candidacies_open_at: str, candidacy_deadline: str, debate_ends_at: str, vote_at: str,
    one_endorsement: bool = True, endorsers_public: bool = True, voting_url: str = "", description: str = "",
) -> Designation:
    """An admin opens a designation, with its calendar and its questions category."""
    admin = _require_admin(actor)
    errors: dict[str, str] = {}
    title = " ".join(title.split())
    if not 5 <= len(title) <= 200:
        errors["title"] = "Le titre compte de 5 à 200 caractères."
    federation = None
    if federation_slug:
        federation = session.scalar(select(Federation).where(Federation.slug == federation_slug))
        if federation is None:
            errors["federation"] = "Fédération inconnue."
    dates = [parse_paris(v, f, errors) for v, f in (
        (candidacies_open_at, "candidacies_open_at"), (candidacy_deadline, "candidacy_deadline"),
        (debate_ends_at, "debate_ends_at"), (vote_at, "vote_at"))]
    if not errors and not (dates[0] < dates[1] < dates[2] <= dates[3]):  # type: ignore[operator]
        errors["calendar"] = ("Le calendrier doit se suivre : ouverture des candidatures, date limite, "
                              "fin du débat, puis vote.")
    if voting_url and not voting_url.startswith("https://"):
        errors["voting_url"] = "Le lien du système de vote doit commencer par https://."
    if errors:
        raise ValidationFailed(errors)
    base = _slugify(title)
    slug, n = base, 1
    while session.scalar(select(Designation.id).where(Designation.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    designation = Designation(
        slug=slug, title=title, description=description.strip(), federation_id=federation.id if federation else None,
        candidacies_open_at=dates[0], candidacy_deadline=dates[1], debate_ends_at=dates[2], vote_at=dates[3],
        one_endorsement=one_endorsement, endorsers_public=endorsers_public, voting_url=voting_url.strip(),
        created_by_id=admin.id, created_at=ctx.clock(),
    )
    session.add(designation)
    session.flush()
    session.add(Category(slug=f"questions-{slug}"[:80], name=f"Questions : {title}"[:200],
                         description="Questions aux candidat·es et leurs réponses officielles.", position=50,
                         moderation_policy=ModerationPolicy.DEBATE,
                         federation_id=federation.id if federation else None, designation_id=designation.id))
    journal.append(session, "designation_created", {"designation": slug, "scope": federation.name if federation else "nationale"},
                   {"by": admin.id}, now=ctx.clock())
    session.flush()
    return designation


def designation_by_slug(session: Session, slug: str) -> Designation:
    designation = session.scalar(select(Designation).where(Designation.slug == slug))
    if designation is None:
        raise NotFound()
    return designation


def questions_category(session: Session, designation: Designation) -> Category:
    category = session.scalar(select(Category).where(Category.designation_id == designation.id))
    assert category is not None
    return category


# --- candidacies ---------------------------------------------------------------------------


def _statement(source: str) -> str:
    source = source.replace("\r\n", "\n").replace("\x00", "\ufffd").strip()
    if len(source) > STATEMENT_MAX:
        raise ValidationFailed({"statement": f"La profession de foi compte au plus {STATEMENT_MAX} caractères."})
    return source


def declare_candidacy(ctx: Context, session: Session, actor: Member | None, designation_id: int, statement: str) -> Candidacy:
    """A member in scope declares a candidacy while candidacies are open."""
    member = _require_active(actor)
    designation = session.get(Designation, designation_id)
    if designation is None:
        raise NotFound()
    current = phase(designation, ctx.clock())
    if current == Phase.UPCOMING:
        raise Forbidden("Les candidatures ne sont pas encore ouvertes.")
    if current != Phase.CANDIDACIES:
        raise Forbidden("La date limite des candidatures est passée : plus aucune candidature n’est reçue.")
    if not in_scope(member, designation):
        raise Forbidden("Cette désignation concerne une autre fédération.")
    if session.scalar(select(Candidacy.id).where(Candidacy.designation_id == designation.id,
                                                 Candidacy.member_id == member.id)) is not None:
        raise ValidationFailed({"statement": "Vous avez déjà déclaré une candidature à cette désignation."})
    source = _statement(statement)
    if len(source) < 20:
        raise ValidationFailed({"statement": "Rédigez votre profession de foi (20 caractères au moins)."})
    html = render_markdown(source)
    candidacy = Candidacy(designation_id=designation.id, member_id=member.id, statement_source=source,
                          statement_html=html, declared_at=ctx.clock())
    session.add(candidacy)
    session.flush()
    session.add(CandidacyRevision(candidacy_id=candidacy.id, number=1, source=source, html=html, created_at=ctx.clock()))
    journal.append(session, "candidacy_declared", {"designation": designation.slug, "candidacy_id": candidacy.id},
                   {"member_id": member.id}, now=ctx.clock())
    return candidacy


def decide_candidacy(ctx: Context, session: Session, actor: Member | None, candidacy_id: int, validate: bool, reason: str) -> Candidacy:
    """An admin validates a declared candidacy, or refuses it with a reason."""
    admin = _require_admin(actor)
    candidacy = session.get(Candidacy, candidacy_id, with_for_update=True)
    if candidacy is None:
        raise NotFound()
    if candidacy.status != CandidacyStatus.DECLARED:
        raise ValidationFailed({"reason": "Cette candidature a déjà été traitée."})
    reason = reason.strip()
    if not validate and not reason:
        raise ValidationFailed({"reason": "Un refus doit être motivé."})
    candidacy.status = CandidacyStatus.VALIDATED if validate else CandidacyStatus.REFUSED
    candidacy.decided_at = ctx.clock()
    candidacy.decided_by_id = admin.id
    candidacy.decision_reason = reason
    designation = session.get(Designation, candidacy.designation_id)
    assert designation is not None
    journal.append(session, "candidacy_decided", {"designation": designation.slug, "candidacy_id": candidacy.id,
                                                  "status": candidacy.status.value},
                   {"by": admin.id, "reason": reason}, now=ctx.clock())
    verdict = "validée" if validate else f"refusée. Motif : {reason}"
    notify(ctx, session, candidacy.member_id, f"Votre candidature à « {designation.title} » est {verdict}.",
           link=f"/candidatures/{candidacy.id}", email_subject="Tribune : votre candidature")
    return candidacy


def _own_candidacy(session: Session, member: Member, candidacy_id: int, not_yours: str) -> Candidacy:
    """The member's own candidacy, locked for the change; NotFound or Forbidden(not_yours) otherwise."""
    candidacy = session.get(Candidacy, candidacy_id, with_for_update=True)
    if candidacy is None:
        raise NotFound()
    if candidacy.member_id != member.id:
        raise Forbidden(not_yours)
    return candidacy


def withdraw_candidacy(ctx: Context, session: Session, actor: Member | None, candidacy_id: int) -> Candidacy:
    """A candidate withdraws; the candidacy is kept and shown as withdrawn."""
    member = _require_active(actor)
    candidacy = _own_candidacy(session, member, candidacy_id, "Seul·e le ou la candidat·e peut retirer sa candidature.")
    if candidacy.status in (CandidacyStatus.WITHDRAWN, CandidacyStatus.REFUSED):
        raise ValidationFailed({"withdraw": "Cette candidature n’est plus active."})
    candidacy.status = CandidacyStatus.WITHDRAWN
    candidacy.withdrawn_at = ctx.clock()
    journal.append(session, "candidacy_withdrawn", {"candidacy_id": candidacy.id}, {"member_id": member.id}, now=ctx.clock())
    return candidacy


def edit_statement(ctx: Context, session: Session, actor: Member | None, candidacy_id: int, statement: str) -> Candidacy:
    """The candidate edits their profession de foi; every version is kept."""
    member = _require_active(actor)
    candidacy = _own_candidacy(session, member, candidacy_id, "Seul·e le ou la candidat·e modifie sa profession de foi.")
    if candidacy.status in (CandidacyStatus.WITHDRAWN, CandidacyStatus.REFUSED):
        raise Forbidden("Cette candidature n’est plus active.")
    source = _statement(statement)
    if len(source) < 20:
        raise ValidationFailed({"statement": "Rédigez votre profession de foi (20 caractères au moins)."})
    if source == candidacy.statement_source:
        return candidacy
    candidacy.statement_source = source
    candidacy.statement_html = render_markdown(source)
    candidacy.revision_count += 1
    session.add(CandidacyRevision(candidacy_id=candidacy.id, number=candidacy.revision_count, source=source,
                                  html=candidacy.statement_html, created_at=ctx.clock()))
    return candidacy


def set_photo(ctx: Context, session: Session, actor: Member | None, candidacy_id: int, filename: str, data: bytes) -> Candidacy:
    """The candidate's photo, through the attachment rules (type from the bytes, re-encoded, no metadata)."""
    from forum.services.attachments import store_upload

    member = _require_active(actor)
    candidacy = _own_candidacy(session, member, candidacy_id, "Seul·e le ou la candidat·e choisit sa photo.")
    if candidacy.status in (CandidacyStatus.WITHDRAWN, CandidacyStatus.REFUSED):
        raise Forbidden("Cette candidature n’est plus active.")
    attachment = store_upload(session, member, filename, data)
    if not attachment.content_type.startswith("image/"):
        raise ValidationFailed({"attachment": "La photo doit être une image (PNG, JPEG, GIF ou WebP)."})
    candidacy.photo_attachment_id = attachment.id
    return candidacy


# --- endorsements and committees ------------------------------------------------------------


def endorse(ctx: Context, session: Session, actor: Member | None, candidacy_id: int) -> Endorsement:
    """A member in scope, active on the roster, supports a candidacy (one per designation by default)."""
    member = _require_active(actor)
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise NotFound()
    designation = session.get(Designation, candidacy.designation_id)
    assert designation is not None
    if candidacy.member_id == member.id:
        raise Forbidden("On ne parraine pas sa propre candidature.")
    if candidacy.status not in (CandidacyStatus.DECLARED, CandidacyStatus.VALIDATED):
        raise ValidationFailed({"endorse": "Cette candidature n’est plus active."})
    if phase(designation, ctx.clock()) in (Phase.UPCOMING, Phase.CLOSED):
        raise ValidationFailed({"endorse": "Les parrainages ne sont pas ouverts pour cette désignation."})
    if not in_scope(member, designation):
        raise Forbidden("Cette désignation concerne une autre fédération.")
    # One endorsement at a time per member: lock their row so two requests cannot both pass the check.
    session.get(Member, member.id, with_for_update=True)
    active = session.scalars(select(Endorsement).where(Endorsement.designation_id == designation.id,
                                                       Endorsement.member_id == member.id,
                                                       Endorsement.withdrawn_at.is_(None))).all()
    if any(e.candidacy_id == candidacy.id for e in active):
        raise ValidationFailed({"endorse": "Vous parrainez déjà cette candidature."})
    if designation.one_endorsement and active:
        raise ValidationFailed({"endorse": "Vous parrainez déjà une autre candidature dans cette désignation : "
                                           "retirez d’abord ce parrainage."})
    endorsement = Endorsement(designation_id=designation.id, candidacy_id=candidacy.id, member_id=member.id,
                              created_at=ctx.clock())
    session.add(endorsement)
    session.flush()
    journal.append(session, "endorsement", {"designation": designation.slug, "candidacy_id": candidacy.id},
                   {"member_id": member.id}, now=ctx.clock())
    return endorsement


def withdraw_endorsement(ctx: Context, session: Session, actor: Member | None, candidacy_id: int) -> Endorsement:
    member = _require_active(actor)
    endorsement = session.scalar(select(Endorsement).where(Endorsement.candidacy_id == candidacy_id,
                                                           Endorsement.member_id == member.id,
                                                           Endorsement.withdrawn_at.is_(None)))
    if endorsement is None:
        raise ValidationFailed({"endorse": "Vous ne parrainez pas cette candidature."})
    designation = session.get(Designation, endorsement.designation_id)
    assert designation is not None
    if phase(designation, ctx.clock()) == Phase.CLOSED:
        # The page no longer offers it; the service refuses it too: the count stays as it stood.
        raise ValidationFailed({"endorse": "Le débat est clos\u00a0: les parrainages sont figés tels qu’au vote."})
    endorsement.withdrawn_at = ctx.clock()
    journal.append(session, "endorsement_withdrawn", {"candidacy_id": candidacy_id}, {"member_id": member.id}, now=ctx.clock())
    return endorsement


def endorsements_by_federation(session: Session, designation_id: int) -> BarChart:
    """Active endorsements of a designation's candidacies, counted by the endorsers' federation,
    largest first (the designation page's chart)."""
    count = func.count(Endorsement.id)
    rows = session.execute(
        select(Federation.name, count).select_from(Endorsement)
        .join(Member, Member.id == Endorsement.member_id).outerjoin(Federation, Federation.id == Member.federation_id)
        .where(Endorsement.designation_id == designation_id, Endorsement.withdrawn_at.is_(None))
        .group_by(Federation.name)
    ).all()
    named = [(name or "sans fédération", n) for name, n in rows]
    return BarChart.of(sorted(named, key=lambda row: (-row[1], row[0])))


def _endorses(session: Session, member_id: int, candidacy_id: int) -> bool:
    return session.scalar(select(Endorsement.id).where(Endorsement.candidacy_id == candidacy_id,
                                                       Endorsement.member_id == member_id,
                                                       Endorsement.withdrawn_at.is_(None))) is not None


def create_committee(ctx: Context, session: Session, actor: Member | None, candidacy_id: int, description: str) -> Committee:
    """A supporter (endorser) forms the committee of their federation for a candidacy."""
    member = _require_active(actor)
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise NotFound()
    if member.federation_id is None:
        raise Forbidden("Vous n’êtes rattaché·e à aucune fédération.")
    if not (_endorses(session, member.id, candidacy.id) or candidacy.member_id == member.id):
        raise Forbidden("Seuls les soutiens (parrains et marraines) forment un comité.")
    if session.scalar(select(Committee.id).where(Committee.candidacy_id == candidacy.id,
                                                 Committee.federation_id == member.federation_id)) is not None:
        raise ValidationFailed({"committee": "Un comité existe déjà dans votre fédération : rejoignez-le."})
    committee = Committee(candidacy_id=candidacy.id, federation_id=member.federation_id,
                          description=description.strip()[:2000], created_by_id=member.id, created_at=ctx.clock())
    session.add(committee)
    session.flush()
    session.add(CommitteeMember(committee_id=committee.id, member_id=member.id, joined_at=ctx.clock()))
    return committee


def join_committee(ctx: Context, session: Session, actor: Member | None, committee_id: int) -> None:
    member = _require_active(actor)
    committee = session.get(Committee, committee_id)
    if committee is None:
        raise NotFound()
    if member.federation_id != committee.federation_id:
        raise Forbidden("Ce comité est celui d’une autre fédération.")
    if not _endorses(session, member.id, committee.candidacy_id):
        raise Forbidden("Parrainez d’abord la candidature pour rejoindre son comité.")
    if session.scalar(select(CommitteeMember.id).where(CommitteeMember.committee_id == committee.id,
                                                       CommitteeMember.member_id == member.id)) is not None:
        raise ValidationFailed({"committee": "Vous êtes déjà membre de ce comité."})
    session.add(CommitteeMember(committee_id=committee.id, member_id=member.id, joined_at=ctx.clock()))


def add_meeting(ctx: Context, session: Session, actor: Member | None, committee_id: int, starts_at: str,
                place: str, description: str) -> Meeting:
    member = _require_active(actor)
    if session.scalar(select(CommitteeMember.id).where(CommitteeMember.committee_id == committee_id,
                                                       CommitteeMember.member_id == member.id)) is None:
        raise Forbidden("Seuls les membres du comité annoncent ses réunions.")
    errors: dict[str, str] = {}
    moment = parse_paris(starts_at, "starts_at", errors)
    if not place.strip():
        errors["place"] = "Indiquez le lieu."
    if errors:
        raise ValidationFailed(errors)
    assert moment is not None
    meeting = Meeting(committee_id=committee_id, starts_at=moment, place=place.strip()[:300],
                      description=description.strip()[:2000])
    session.add(meeting)
    session.flush()
    return meeting


# --- questions and position replies ----------------------------------------------------------


def ask_question(ctx: Context, session: Session, actor: Member | None, designation_id: int, title: str, body: str) -> Topic:
    """A member asks the candidates a question during the debate phase; moderation applies."""
    member = _require_active(actor)
    designation = session.get(Designation, designation_id)
    if designation is None:
        raise NotFound()
    current = phase(designation, ctx.clock())
    if current == Phase.CLOSED:
        raise Forbidden("Le débat est terminé : plus aucune question n’est reçue.")
    if current != Phase.DEBATE:
        raise Forbidden("Les questions s’ouvrent avec le débat, après la date limite des candidatures.")
    if not in_scope(member, designation):
        raise Forbidden("Cette désignation concerne une autre fédération.")
    category = questions_category(session, designation)
    return posting.create_topic(ctx, session, member, category.slug, title, body, kind=PostKind.QUESTION)


def _designation_of_topic(session: Session, topic_id: int) -> tuple[Topic, Designation]:
    row = session.execute(
        select(Topic, Designation).join(Category, Category.id == Topic.category_id)
        .join(Designation, Designation.id == Category.designation_id).where(Topic.id == topic_id)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def position_reply(ctx: Context, session: Session, actor: Member | None, topic_id: int, body: str) -> Post:
    """A validated candidate publishes their official reply to a question, until the vote."""
    member = _require_active(actor)
    topic, designation = _designation_of_topic(session, topic_id)
    if topic.status != PostStatus.PUBLISHED:
        raise NotFound()
    candidacy = session.scalar(select(Candidacy).where(Candidacy.designation_id == designation.id,
                                                       Candidacy.member_id == member.id,
                                                       Candidacy.status == CandidacyStatus.VALIDATED))
    if candidacy is None:
        raise Forbidden("Seul·es les candidat·es validé·es publient une réponse officielle.")
    if ctx.clock() >= designation.vote_at:
        raise Forbidden("Le vote a commencé : les réponses officielles sont figées.")
    exists = session.scalar(select(Post.id).where(Post.topic_id == topic.id, Post.author_id == member.id,
                                                  Post.kind == PostKind.POSITION_REPLY))
    if exists is not None:
        raise ValidationFailed({"body": "Vous avez déjà répondu à cette question : modifiez votre réponse."})
    return posting.reply(ctx, session, member, topic.id, body, kind=PostKind.POSITION_REPLY)


@dataclass(frozen=True)
class MatrixCell:
    post_id: int | None
    html: str
    edited_after_vote: bool


@dataclass(frozen=True)
class Matrix:
    questions: list[tuple[int, str]]
    candidates: list[tuple[int, str]]
    cells: dict[tuple[int, int], MatrixCell]


def matrix(ctx: Context, session: Session, designation: Designation) -> Matrix:
    """Questions × validated candidates. After the vote date each cell shows the reply as it
    stood at the vote, and says when it was edited later."""
    category = questions_category(session, designation)
    questions = [(tid, title) for tid, title in session.execute(
        select(Topic.id, Topic.title).where(Topic.category_id == category.id, Topic.status == PostStatus.PUBLISHED)
        .order_by(Topic.created_at, Topic.id))]
    candidates = [(cid, f"{first} {last}") for cid, first, last in session.execute(
        select(Candidacy.member_id, Member.first_name, Member.last_name).join(Member, Member.id == Candidacy.member_id)
        .where(Candidacy.designation_id == designation.id, Candidacy.status == CandidacyStatus.VALIDATED)
        .order_by(Member.last_name, Member.first_name))]
    cells: dict[tuple[int, int], MatrixCell] = {}
    if questions and candidates:
        rows = session.execute(
            select(Post.id, Post.topic_id, Post.author_id, Post.html, Post.edited_at)
            .where(Post.topic_id.in_([q for q, _ in questions]), Post.kind == PostKind.POSITION_REPLY,
                   Post.status == PostStatus.PUBLISHED, Post.masked_at.is_(None),
                   Post.author_id.in_([c for c, _ in candidates]))
        ).all()
        shown = _as_at_vote(ctx, session, designation, [(r.id, r.html, r.edited_at) for r in rows])
        for r in rows:
            cells[(r.topic_id, r.author_id)] = MatrixCell(r.id, *shown[r.id])
    return Matrix(questions, candidates, cells)


def _as_at_vote(ctx: Context, session: Session, designation: Designation,
                replies: list[tuple[int, str, dt.datetime | None]]) -> dict[int, tuple[str, bool]]:
    """Official replies as readers see them: before the vote, as they are; from the vote on, as
    they stood at the vote (their last revision before it), and whether they changed later."""
    if ctx.clock() < designation.vote_at or not replies:
        return {post_id: (html, False) for post_id, html, _ in replies}
    at_vote: dict[int, str] = {}
    for post_id, html in session.execute(
        select(PostRevision.post_id, PostRevision.html)
        .where(PostRevision.post_id.in_([r[0] for r in replies]), PostRevision.created_at <= designation.vote_at)
        .order_by(PostRevision.post_id, PostRevision.number)
    ):
        at_vote[post_id] = html  # the last revision before the vote wins
    return {post_id: (at_vote.get(post_id, html), bool(edited_at and edited_at > designation.vote_at))
            for post_id, html, edited_at in replies}


# --- pages -------------------------------------------------------------------------------------


@dataclass
class CandidacyView:
    candidacy: Candidacy
    designation: Designation
    member: Member
    federation: str | None
    endorsement_count: int
    endorsers: list[tuple[str, str | None]]
    by_federation: list[tuple[str, int]]
    # (topic id, question, reply post id, reply as shown, edited after the vote)
    position_replies: list[tuple[int, str, int, str, bool]]
    quotes_about: list[dict[str, Any]]
    committees: list[tuple[Committee, str, int]]
    i_endorse: bool
    phase: Phase


def candidacy_view(ctx: Context, session: Session, viewer: Member, candidacy_id: int) -> CandidacyView:
    from forum.models import Quote, QuoteReply

    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise NotFound()
    designation = session.get(Designation, candidacy.designation_id)
    member = session.get(Member, candidacy.member_id)
    assert designation is not None and member is not None
    federation = session.scalar(select(Federation.name).where(Federation.id == member.federation_id))
    active = (Endorsement.candidacy_id == candidacy.id) & Endorsement.withdrawn_at.is_(None)
    by_federation = [(name or "—", count) for name, count in session.execute(
        select(Federation.name, func.count(Endorsement.id)).select_from(Endorsement)
        .join(Member, Member.id == Endorsement.member_id).outerjoin(Federation, Federation.id == Member.federation_id)
        .where(active).group_by(Federation.name).order_by(func.count(Endorsement.id).desc()))]
    endorsers: list[tuple[str, str | None]] = []
    if designation.endorsers_public:
        endorsers = [(f"{first} {last}", fed) for first, last, fed in session.execute(
            select(Member.first_name, Member.last_name, Federation.name).select_from(Endorsement)
            .join(Member, Member.id == Endorsement.member_id).outerjoin(Federation, Federation.id == Member.federation_id)
            .where(active).order_by(Member.last_name))]
    rows = session.execute(
        select(Topic.id, Topic.title, Post.id, Post.html, Post.edited_at).join(Post, Post.topic_id == Topic.id)
        .where(Post.author_id == member.id, Post.kind == PostKind.POSITION_REPLY, Post.status == PostStatus.PUBLISHED,
               Post.masked_at.is_(None), Topic.status == PostStatus.PUBLISHED)
        .order_by(Post.created_at)).all()
    shown = _as_at_vote(ctx, session, designation, [(post_id, html, edited) for _, _, post_id, html, edited in rows])
    replies = [(topic_id, title, post_id, *shown[post_id]) for topic_id, title, post_id, _, _ in rows]
    quotes_about = [
        {"quote_id": q.id, "text": q.text, "context": q.context, "source_url": q.source_url, "topic_id": topic_id,
         "post_id": q.post_id, "reply": reply_html}
        for q, topic_id, reply_html in session.execute(
            select(Quote, Post.topic_id, QuoteReply.html).join(Post, Post.id == Quote.post_id)
            .join(Topic, Topic.id == Post.topic_id)
            .outerjoin(QuoteReply, (QuoteReply.quote_id == Quote.id) & QuoteReply.hidden.is_(False))
            .where(Quote.quoted_member_id == member.id, Post.status == PostStatus.PUBLISHED,
                   Post.masked_at.is_(None), Topic.status == PostStatus.PUBLISHED)
            .order_by(Quote.id.desc()).limit(50))
    ]
    committees = [(c, fed, n) for c, fed, n in session.execute(
        select(Committee, Federation.name, func.count(CommitteeMember.id)).join(Federation, Federation.id == Committee.federation_id)
        .outerjoin(CommitteeMember, CommitteeMember.committee_id == Committee.id)
        .where(Committee.candidacy_id == candidacy.id).group_by(Committee.id, Federation.name).order_by(Federation.name))]
    return CandidacyView(
        candidacy, designation, member, federation, sum(n for _, n in by_federation), endorsers, by_federation,
        replies, quotes_about, committees, _endorses(session, viewer.id, candidacy.id), phase(designation, ctx.clock()),
    )


def camps_of(session: Session, member_ids: Any, as_of: dt.datetime | None = None) -> dict[int, str]:
    """Which validated candidacy each member supports (their endorsement, or their own candidacy):
    the camps that context notes need to agree across.

    `as_of` keeps only endorsements made before that moment (the note's proposal), so nobody can
    change camp to tip one note; declared or refused candidacies make no camp.
    """
    ids = list(member_ids)
    if not ids:
        return {}
    endorsements = (
        select(Endorsement.member_id, func.min(Endorsement.candidacy_id))
        .join(Candidacy, Candidacy.id == Endorsement.candidacy_id)
        .where(Endorsement.member_id.in_(ids), Endorsement.withdrawn_at.is_(None),
               Candidacy.status == CandidacyStatus.VALIDATED)
        .group_by(Endorsement.member_id)
    )
    if as_of is not None:
        endorsements = endorsements.where(Endorsement.created_at <= as_of)
    camps = {member_id: f"candidature-{cid}" for member_id, cid in session.execute(endorsements)}
    for member_id, cid in session.execute(
        select(Candidacy.member_id, func.min(Candidacy.id))
        .where(Candidacy.member_id.in_(ids), Candidacy.status == CandidacyStatus.VALIDATED)
        .group_by(Candidacy.member_id)
    ):
        camps[member_id] = f"candidature-{cid}"
    return camps


def involvement(session: Session, member_id: int, topic_id: int) -> str | None:
    """Whether a member is a candidate or an endorser in the designation a topic belongs to
    (moderation recuses them)."""
    designation_id = session.scalar(
        select(Category.designation_id).join(Topic, Topic.category_id == Category.id).where(Topic.id == topic_id)
    )
    if designation_id is None:
        return None
    if session.scalar(select(Candidacy.id).where(Candidacy.designation_id == designation_id, Candidacy.member_id == member_id,
                                                 Candidacy.status != CandidacyStatus.WITHDRAWN)) is not None:
        return "vous êtes candidat·e dans cette désignation"
    if session.scalar(select(Endorsement.id).where(Endorsement.designation_id == designation_id,
                                                   Endorsement.member_id == member_id,
                                                   Endorsement.withdrawn_at.is_(None))) is not None:
        return "vous soutenez un·e candidat·e de cette désignation"
    return None
