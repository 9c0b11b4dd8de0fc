"""Context notes under posts.

A moderator's note is shown at once. A member's note is only proposed: it is shown
when members who support different candidates both find it helpful — at least two
ratings from each of two camps, a majority "utile" in each. One camp alone cannot
impose a note, however many its supporters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from forum import journal, security
from forum.context import Context
from forum.db import ByIds, core
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.markup import render_markdown
from forum.models import Category, Member, MemberStatus, Post, PostStatus, Topic
from moderation.models import ContextNote, NoteRating, NoteStatus
from moderation.services import in_scope, recusal_reason

MIN_RATINGS_PER_CAMP = 2
MIN_CAMPS = 2
NOTE_MAX = 2000

# member id -> camp (the candidacy they support). Designations install the real lookup;
# until then nobody has a camp, so no member note can be imposed.
CampLookup = Callable[..., dict[int, str]]  # (session, member ids, as_of=datetime) -> {member id: camp}


def _no_camps(session: Session, member_ids: Iterable[int], as_of: object = None) -> dict[int, str]:
    return {}


camp_lookup: CampLookup = _no_camps


def install_camp_lookup(lookup: CampLookup) -> None:
    """Designations install the lookup of who supports whom."""
    global camp_lookup
    camp_lookup = lookup


def helpful_across_camps(ratings: Iterable[tuple[str | None, bool]]) -> bool:
    """The rule, pure: ratings are (camp, helpful); members with no camp do not count."""
    by_camp: dict[str, list[bool]] = defaultdict(list)
    for camp, helpful in ratings:
        if camp is not None:
            by_camp[camp].append(helpful)
    agreeing = [
        camp for camp, votes in by_camp.items()
        if len(votes) >= MIN_RATINGS_PER_CAMP and sum(votes) * 2 > len(votes)
    ]
    return len(agreeing) >= MIN_CAMPS


def _visible_post(session: Session, post_id: int) -> tuple[Post, Topic, Category]:
    row = session.execute(
        select(Post, Topic, Category).join(Topic, Topic.id == Post.topic_id).join(Category, Category.id == Topic.category_id)
        .where(Post.id == post_id)
    ).first()
    if row is None or row[0].status not in (PostStatus.PUBLISHED, PostStatus.HIDDEN) or row[1].status != PostStatus.PUBLISHED:
        raise NotFound()
    return row[0], row[1], row[2]


def add_note(ctx: Context, session: Session, actor: Member | None, post_id: int, text: str, as_moderator: bool) -> ContextNote:
    """A moderator attaches a note (shown at once) or a member proposes one."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    post, _topic, category = _visible_post(session, post_id)
    text = text.replace("\x00", "\ufffd").strip()
    if not text:
        raise ValidationFailed({"note": "La note est vide."})
    if len(text) > NOTE_MAX:
        raise ValidationFailed({"note": f"Une note compte au plus {NOTE_MAX} caractères."})
    if as_moderator:
        if not actor.is_moderator:
            raise Forbidden("Seule la modération publie directement une note.")
        if not in_scope(actor, category):
            raise Forbidden("Ce message relève de la modération d’une autre fédération.")
        recused = recusal_reason(actor, post, session)
        if recused:
            raise Forbidden(f"Vous êtes récusé·e pour ce message : {recused}.")
    else:
        if post.author_id == actor.id:
            raise ValidationFailed({"note": "Vous ne pouvez pas proposer de note sur votre propre message."})
        mine = session.scalar(select(ContextNote.id).where(ContextNote.post_id == post.id, ContextNote.author_id == actor.id,
                                                           ContextNote.by_moderator.is_(False)))
        if mine is not None:
            raise ValidationFailed({"note": "Vous avez déjà proposé une note sur ce message."})
        # Proposals wait for ratings from several camps: a flood of them would bury the good ones.
        per_day = ctx.settings.notes_per_day
        security.throttle(
            session, security.Limit("note", per_day, 86400), str(actor.id),
            f"Vous avez proposé {per_day} notes de contexte en 24 heures. Réessayez {{wait}}.", ctx.clock())
    note = ContextNote(post_id=post.id, author_id=actor.id, by_moderator=as_moderator, source=text,
                       html=render_markdown(text), status=NoteStatus.SHOWN if as_moderator else NoteStatus.PROPOSED,
                       created_at=ctx.clock())
    session.add(note)
    session.flush()
    if as_moderator:
        journal.append(session, "context_note", {"category": category.name, "note_id": note.id},
                       {"moderator_id": actor.id, "post_id": post.id, "text": text}, now=ctx.clock())
    return note


def rate_note(ctx: Context, session: Session, actor: Member | None, note_id: int, helpful: bool) -> ContextNote:
    """A member rates a proposed note "utile" or "pas utile"; the note's visibility follows the rule."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    note = session.get(ContextNote, note_id, with_for_update=True)
    if note is None or note.by_moderator or note.status == NoteStatus.WITHDRAWN:
        raise NotFound()
    post, _topic, _category = _visible_post(session, note.post_id)
    if note.author_id == actor.id:
        raise ValidationFailed({"rating": "Vous ne pouvez pas évaluer votre propre note."})
    if post.author_id == actor.id:
        raise ValidationFailed({"rating": "L’auteur·rice du message ne peut pas évaluer les notes qui le concernent."})
    rating = session.scalar(select(NoteRating).where(NoteRating.note_id == note.id, NoteRating.member_id == actor.id))
    if rating is None:
        session.add(NoteRating(note_id=note.id, member_id=actor.id, helpful=helpful, created_at=ctx.clock()))
    else:
        rating.helpful = helpful
    session.flush()
    votes = session.execute(select(NoteRating.member_id, NoteRating.helpful).where(NoteRating.note_id == note.id)).all()
    # Camps as they stood when the note was proposed: switching sides later cannot tip it.
    camps = camp_lookup(session, [member_id for member_id, _ in votes], as_of=note.created_at)
    shown = helpful_across_camps((camps.get(member_id), vote) for member_id, vote in votes)
    note.status = NoteStatus.SHOWN if shown else NoteStatus.PROPOSED
    return note


class NoteRow(NamedTuple):
    id: int
    post_id: int
    html: str
    by_moderator: bool
    status: NoteStatus
    mine: bool
    my_rating: bool | None


_MINE = NoteRating.__table__.alias("mine")
# Built once: it runs on every topic page.
_LISTED = ContextNote.status != NoteStatus.WITHDRAWN  # the notes a topic page lists
# Correlated to the topic page's posts query: the first note of a post, NULL when it has none.
NOTE_PROBE = select(ContextNote.id).where(ContextNote.post_id == Post.id, _LISTED).limit(1).scalar_subquery()

_NOTES_FOR_POSTS = ByIds(lambda ids: (
    select(ContextNote.id, ContextNote.post_id, ContextNote.html, ContextNote.by_moderator, ContextNote.status,
           ContextNote.author_id, _MINE.c.helpful)
    .outerjoin(_MINE, (_MINE.c.note_id == ContextNote.id) & (_MINE.c.member_id == bindparam("viewer_id")))
    .where(ContextNote.post_id.in_(ids), _LISTED)
    .order_by(ContextNote.by_moderator.desc(), ContextNote.id)
))


def notes_for_posts(session: Session | Connection, post_ids: list[int], viewer_id: int) -> dict[int, list[NoteRow]]:
    """Shown notes for everyone; proposed ones too, so that members can rate them."""
    if not post_ids:
        return {}
    statement, params = _NOTES_FOR_POSTS(post_ids)
    rows = core(session).execute(statement, {**params, "viewer_id": viewer_id})
    result: dict[int, list[NoteRow]] = {}
    for r in rows:
        result.setdefault(r.post_id, []).append(
            NoteRow(r.id, r.post_id, r.html, r.by_moderator, r.status, r.author_id == viewer_id, r.helpful))
    return result
