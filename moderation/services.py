"""The hold queue and moderators' decisions. Authorization and recusal are decided here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from forum.context import Context
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.models import Category, Federation, Member, Post, PostStatus, Quote, Topic
from forum.services.notifications import notify
from moderation.models import Action, Decision, ItemStatus, ReviewItem

REASONS: dict[str, str] = {
    "conforme": "Conforme aux règles : citations sourcées et contexte suffisant",
    "source_verifiee": "Source vérifiée par la modération",
    "citation_non_sourcee": "Citation sans source vérifiable",
    "montage": "Citation sortie de son contexte ou montage",
    "fausse_citation": "Fausse citation",
    "attaque_personnelle": "Attaque personnelle ou harcèlement",
    "donnees_personnelles": "Données personnelles",
    "hors_sujet": "Hors sujet",
    "autre": "Autre motif (précisé ci-dessous)",
}
QUEUE_ACTIONS = (Action.APPROVE, Action.REJECT, Action.REQUEST_CHANGES)
ACTION_LABELS = {
    Action.APPROVE: "approuvé",
    Action.REJECT: "refusé",
    Action.REQUEST_CHANGES: "à modifier",
}


def require_moderator(actor: Member | None) -> Member:
    if actor is None or not actor.is_moderator:
        raise Forbidden("Cette page est réservée à la modération.")
    return actor


def in_scope(actor: Member, category: Category) -> bool:
    """National moderators and admins act everywhere; a federation's moderators on its categories."""
    if actor.is_admin or actor.moderated_federation_id is None:
        return True
    return category.federation_id == actor.moderated_federation_id


def recusal_reason(actor: Member, post: Post, session: Session) -> str | None:
    """Why `actor` may not decide on `post`, or None. Enforced here, not only hidden in pages."""
    if post.author_id == actor.id:
        return "vous en êtes l’auteur·rice"
    quoted = session.scalar(select(Quote.id).where(Quote.post_id == post.id, Quote.quoted_member_id == actor.id).limit(1))
    if quoted is not None:
        return "ce message vous cite"
    return None


def on_post_saved(ctx: Context, session: Session, post: Post, holds: list[dict[str, Any]], created: bool) -> None:
    """Open, update or close the post's review item after the author wrote it."""
    item = session.scalar(select(ReviewItem).where(ReviewItem.post_id == post.id, ReviewItem.status == ItemStatus.OPEN))
    reasons = [{"source": "checker", "code": h["code"], "message": h["message"]} for h in holds]
    if not created and not holds:
        last = session.scalar(select(Decision.action).where(Decision.post_id == post.id).order_by(Decision.id.desc()).limit(1))
        if last == Action.REQUEST_CHANGES:
            # A moderator asked for changes: the edit goes back to them, it does not publish itself.
            post.status = PostStatus.HELD
            post.hold_reasons = [{"code": "modifie_apres_demande",
                                  "message": "Message modifié à la demande de la modération : il attend une nouvelle relecture.",
                                  "quote_index": None}]
            reasons = [{"source": "author", "code": "modifie_apres_demande",
                        "message": "Modifié par l’auteur·rice après une demande de modification."}]
    if post.status == PostStatus.HELD:
        if item is None:
            category_id = session.scalar(select(Topic.category_id).where(Topic.id == post.topic_id))
            assert category_id is not None
            session.add(ReviewItem(post_id=post.id, category_id=category_id, reasons=reasons, opened_at=ctx.clock()))
        else:
            kept = [r for r in item.reasons if r.get("source") not in ("checker", "author")]
            item.reasons = kept + reasons
    elif item is not None and not any(r.get("source") not in ("checker", "author") for r in item.reasons):
        # The author fixed what the checker held, and nobody reported the post: the case is over.
        item.status = ItemStatus.CLOSED
        item.closed_at = ctx.clock()


@dataclass(frozen=True)
class QueueRow:
    item_id: int
    post_id: int
    topic_id: int
    topic_title: str
    category: str
    author: str
    excerpt: str
    reasons: list[dict[str, str]]
    opened_at: dt.datetime


def _scope_filter(actor: Member) -> Any:
    if actor.is_admin or actor.moderated_federation_id is None:
        return True
    return Category.federation_id == actor.moderated_federation_id


def queue(session: Session, actor: Member | None, after: tuple[dt.datetime, int] | None, limit: int = 25) -> tuple[list[QueueRow], tuple[dt.datetime, int] | None]:
    """Open items in the moderator's scope, oldest first, by keyset (constant cost per page)."""
    moderator = require_moderator(actor)
    query = (
        select(ReviewItem.id, ReviewItem.post_id, ReviewItem.reasons, ReviewItem.opened_at, Topic.id.label("topic_id"),
               Topic.title, Category.name, Member.first_name, Member.last_name, Post.source)
        .join(Post, Post.id == ReviewItem.post_id)
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == ReviewItem.category_id)
        .join(Member, Member.id == Post.author_id)
        .where(ReviewItem.status == ItemStatus.OPEN, _scope_filter(moderator))
        .order_by(ReviewItem.opened_at, ReviewItem.id)
        .limit(limit + 1)
    )
    if after:
        at, item_id = after
        query = query.where(or_(ReviewItem.opened_at > at, and_(ReviewItem.opened_at == at, ReviewItem.id > item_id)))
    rows = [
        QueueRow(r.id, r.post_id, r.topic_id, r.title, r.name, f"{r.first_name} {r.last_name}",
                 r.source[:280], r.reasons, r.opened_at)
        for r in session.execute(query)
    ]
    next_after = (rows[limit - 1].opened_at, rows[limit - 1].item_id) if len(rows) > limit else None
    return rows[:limit], next_after


@dataclass
class ItemView:
    item: ReviewItem
    post: Post
    topic: Topic
    category: Category
    author: Member
    author_federation: str | None
    decisions: list[tuple[Decision, str]]
    recused: str | None
    may_decide: bool


def item_view(session: Session, actor: Member | None, item_id: int) -> ItemView:
    moderator = require_moderator(actor)
    row = session.execute(
        select(ReviewItem, Post, Topic, Category, Member)
        .join(Post, Post.id == ReviewItem.post_id)
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == ReviewItem.category_id)
        .join(Member, Member.id == Post.author_id)
        .where(ReviewItem.id == item_id)
    ).first()
    if row is None:
        raise NotFound()
    item, post, topic, category, author = row
    if not in_scope(moderator, category):
        raise Forbidden("Ce message relève de la modération d’une autre fédération.")
    federation = session.scalar(select(Federation.name).where(Federation.id == author.federation_id)) if author.federation_id else None
    decisions = [
        (decision, f"{first} {last}")
        for decision, first, last in session.execute(
            select(Decision, Member.first_name, Member.last_name).join(Member, Member.id == Decision.moderator_id)
            .where(Decision.post_id == post.id).order_by(Decision.id)
        )
    ]
    recused = recusal_reason(moderator, post, session)
    return ItemView(item, post, topic, category, author, federation, decisions, recused,
                    may_decide=recused is None and item.status == ItemStatus.OPEN)


def decide(ctx: Context, session: Session, actor: Member | None, item_id: int, action: str, reason_code: str, reason_text: str) -> Decision:
    """Approve, reject or ask for changes on a held post, always with a reason; the author is told."""
    moderator = require_moderator(actor)
    item = session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound()
    post = session.get(Post, item.post_id)
    category = session.get(Category, item.category_id)
    assert post is not None and category is not None
    if not in_scope(moderator, category):
        raise Forbidden("Ce message relève de la modération d’une autre fédération.")
    recused = recusal_reason(moderator, post, session)
    if recused:
        raise Forbidden(f"Vous êtes récusé·e pour ce message : {recused}.")
    if item.status != ItemStatus.OPEN:
        raise ValidationFailed({"action": "Ce cas a déjà été traité."})
    errors: dict[str, str] = {}
    try:
        chosen = Action(action)
    except ValueError:
        chosen = None
    if chosen not in QUEUE_ACTIONS:
        errors["action"] = "Choisissez une décision : approuver, refuser ou demander une modification."
    reason_text = reason_text.strip()
    if reason_code not in REASONS:
        errors["reason_code"] = "Choisissez un motif."
    elif reason_code == "autre" and not reason_text:
        errors["reason_text"] = "Précisez le motif."
    if len(reason_text) > 2000:
        errors["reason_text"] = "Le motif est limité à 2 000 caractères."
    if errors:
        raise ValidationFailed(errors)
    assert chosen is not None
    now = ctx.clock()
    decision = Decision(review_item_id=item.id, post_id=post.id, moderator_id=moderator.id, action=chosen,
                        reason_code=reason_code, reason_text=reason_text, created_at=now)
    session.add(decision)
    if chosen == Action.APPROVE:
        post.status = PostStatus.PUBLISHED
        post.hold_reasons = []
    elif chosen == Action.REJECT:
        post.status = PostStatus.REJECTED
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if post.number == 1:
        topic.status = post.status
    if chosen == Action.APPROVE:
        topic.last_post_at = max(topic.last_post_at, now)
    item.status = ItemStatus.CLOSED
    item.closed_at = now
    session.flush()
    reason = REASONS[reason_code] + (f" — {reason_text}" if reason_text else "")
    verdicts = {
        Action.APPROVE: "a été approuvé et publié",
        Action.REJECT: "a été refusé",
        Action.REQUEST_CHANGES: "doit être modifié avant publication",
    }
    text = f"Votre message dans « {topic.title} » {verdicts[chosen]}. Motif : {reason}."
    follow = {
        Action.APPROVE: "",
        Action.REJECT: "\n\nVous pouvez faire appel de cette décision dans les 14 jours depuis le forum.",
        Action.REQUEST_CHANGES: "\n\nModifiez votre message : il sera relu à nouveau.",
    }
    notify(ctx, session, post.author_id, text, link=f"/t/{topic.id}#p{post.id}",
           email_subject="Tribune : décision de modération sur votre message",
           email_text=f"Bonjour,\n\n{text}{follow[chosen]}")
    return decision
