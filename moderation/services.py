"""Moderation services: reports, one case per post, decisions with reasons, claims, appeals.

Authorization, scope and recusal are decided here, with the acting member passed in:
no page can forget them, and a direct POST meets the same checks as the form.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, literal, literal_column, select, tuple_
from sqlalchemy.orm import Session

from forum import journal, security
from forum.context import Context
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.models import Category, Federation, Member, MemberStatus, Post, PostStatus, Quote, QuoteReply, Topic
from forum.services.accounts import apply_status
from forum.services.notifications import notify
from forum.services.posting import count_transition
from moderation.models import Action, Appeal, AppealStatus, Decision, ItemStatus, Report, ReviewItem

REASONS: dict[str, str] = {
    "conforme": "Conforme aux règles : citations sourcées et contexte suffisant",
    "source_verifiee": "Source vérifiée par la modération",
    "citation_non_sourcee": "Citation sans source vérifiable",
    "montage": "Citation sortie de son contexte ou montage",
    "fausse_citation": "Fausse citation",
    "attaque_personnelle": "Attaque personnelle ou harcèlement",
    "donnees_personnelles": "Données personnelles",
    "hors_sujet": "Hors sujet",
    "autre": "Autre motif (précisé ci-dessous)",
}
REPORT_REASONS: dict[str, str] = {
    "montage": "Citation sortie de son contexte ou montage",
    "fausse_citation": "Fausse citation",
    "attaque_personnelle": "Attaque personnelle ou harcèlement",
    "donnees_personnelles": "Données personnelles",
    "hors_sujet": "Hors sujet",
    "autre": "Autre (précisez)",
}
ACTION_LABELS: dict[Action, str] = {
    Action.APPROVE: "Approuver et publier",
    Action.REQUEST_CHANGES: "Demander une modification",
    Action.REJECT: "Refuser",
    Action.KEEP: "Garder le message",
    Action.HIDE: "Masquer le message",
    Action.RESTORE: "Rétablir le message",
    Action.LOCK: "Verrouiller le sujet",
    Action.WARN: "Avertir l’auteur·rice",
    Action.SUSPEND: "Suspendre l’auteur·rice",
}
# What can be decided depends on where the post stands.
ACTIONS_FOR_STATUS: dict[PostStatus, tuple[Action, ...]] = {
    PostStatus.HELD: (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT),
    PostStatus.PUBLISHED: (Action.KEEP, Action.HIDE, Action.LOCK, Action.WARN, Action.SUSPEND),
    PostStatus.HIDDEN: (Action.RESTORE, Action.KEEP, Action.LOCK, Action.WARN, Action.SUSPEND),
    PostStatus.REJECTED: (Action.RESTORE,),
}
ADVERSE = {Action.REJECT, Action.HIDE, Action.LOCK, Action.WARN, Action.SUSPEND, Action.REQUEST_CHANGES}
APPEAL_DAYS = 14
CLAIM_MINUTES = 30
MAX_SUSPEND_DAYS = 365


def require_moderator(actor: Member | None) -> Member:
    if actor is None or not actor.is_moderator or actor.status != MemberStatus.ACTIVE:
        raise Forbidden("Cette page est réservée à la modération.")
    return actor


def _scoped_federation(actor: Member) -> int | None:
    """The federation a moderator's scope is limited to; None for national moderators and admins."""
    return None if actor.is_admin else actor.moderated_federation_id


def in_scope(actor: Member, category: Category) -> bool:
    """National moderators and admins act everywhere; a federation's moderators on its categories."""
    federation_id = _scoped_federation(actor)
    return federation_id is None or category.federation_id == federation_id


def recusal_reason(actor: Member, post: Post, session: Session) -> str | None:
    """Why `actor` may not decide on `post`, or None. Enforced here, not only hidden in pages."""
    if post.author_id == actor.id:
        return "vous en êtes l’auteur·rice"
    reported = session.scalar(select(Report.id).where(Report.post_id == post.id, Report.reporter_id == actor.id).limit(1))
    if reported is not None:
        return "vous avez signalé ce message"
    # Only an internal quote names its person for sure; an author's claim cannot take a moderator off a case.
    quoted = session.scalar(select(Quote.id).where(Quote.post_id == post.id, Quote.quoted_member_id == actor.id,
                                                   Quote.quoted_post_id.is_not(None)).limit(1))
    if quoted is not None:
        return "ce message vous cite"
    for hook in RECUSAL_HOOKS:
        reason = hook(session, actor, post)
        if reason:
            return reason
    return None


# Designations add their own conflicts (candidate or endorser in the designation a post concerns).
RECUSAL_HOOKS: list[Any] = []


def _open_item(session: Session, post: Post) -> ReviewItem | None:
    return session.scalar(select(ReviewItem).where(ReviewItem.post_id == post.id, ReviewItem.status == ItemStatus.OPEN))


def _new_item(ctx: Context, session: Session, post: Post, reasons: list[dict[str, Any]]) -> ReviewItem:
    category_id, federation_id = session.execute(
        select(Topic.category_id, Category.federation_id).join(Category, Category.id == Topic.category_id)
        .where(Topic.id == post.topic_id)
    ).one()
    item = ReviewItem(post_id=post.id, category_id=category_id, federation_id=federation_id, reasons=reasons,
                      opened_at=ctx.clock())
    session.add(item)
    session.flush()
    return item


def on_post_saved(ctx: Context, session: Session, post: Post, holds: list[dict[str, Any]], created: bool) -> None:
    """Open, update or close the post's review item after its author wrote it."""
    # A post created just now has no item yet: its id is new, and items die with their post.
    item = None if created else _open_item(session, post)
    reasons = [{"source": "checker", "code": h["code"], "message": h["message"]} for h in holds]
    if not created and not holds:
        last = session.scalar(select(Decision.action).where(Decision.post_id == post.id).order_by(Decision.id.desc()).limit(1))
        if last == Action.REQUEST_CHANGES:
            # A moderator asked for changes: the edit goes back to them, it does not publish itself.
            post.status = PostStatus.HELD
            post.hold_reasons = [{"code": "modifie_apres_demande",
                                  "message": "Message modifié à la demande de la modération : il attend une nouvelle relecture.",
                                  "quote_index": None}]
            reasons = [{"source": "author", "code": "modifie_apres_demande",
                        "message": "Modifié par l’auteur·rice après une demande de modification."}]
    if post.status == PostStatus.HELD:
        if item is None:
            _new_item(ctx, session, post, reasons)
        else:
            kept = [r for r in item.reasons if r.get("source") not in ("checker", "author")]
            item.reasons = kept + reasons
    elif item is not None and not any(r.get("source") not in ("checker", "author") for r in item.reasons):
        # The author fixed what the checker held, and nobody reported the post: the case is over.
        item.status = ItemStatus.CLOSED
        item.closed_at = ctx.clock()


# --- reports ---------------------------------------------------------------------------


def report_post(ctx: Context, session: Session, reporter: Member | None, post_id: int, reason_code: str, text: str) -> Report:
    """A member reports a post. One report per member and post; reports per hour are limited;
    enough distinct reporters mask the post pending review."""
    if reporter is None or reporter.status != MemberStatus.ACTIVE:
        raise Forbidden("Connectez-vous pour signaler un message.")
    post = session.get(Post, post_id)
    if post is None or post.status != PostStatus.PUBLISHED:
        raise NotFound()
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if topic.status != PostStatus.PUBLISHED:
        raise NotFound()
    if post.author_id == reporter.id:
        raise ValidationFailed({"reason_code": "Vous ne pouvez pas signaler votre propre message."})
    already = session.scalar(select(Report.id).where(Report.post_id == post.id, Report.reporter_id == reporter.id))
    if already is not None:
        raise ValidationFailed({"reason_code": "Vous avez déjà signalé ce message : la modération l’examine. Merci."})
    errors: dict[str, str] = {}
    text = text.strip()
    if reason_code not in REPORT_REASONS:
        errors["reason_code"] = "Choisissez la raison du signalement."
    elif reason_code == "autre" and not text:
        errors["text"] = "Précisez la raison du signalement."
    if len(text) > 2000:
        errors["text"] = "La précision est limitée à 2 000 caractères."
    if errors:
        raise ValidationFailed(errors)
    now = ctx.clock()
    security.throttle(session, security.Limit("reports", ctx.settings.reports_per_hour, 3600),
                      str(reporter.id), "Vous avez fait beaucoup de signalements. Réessayez {wait}.", now)
    reason = {"source": "report", "code": reason_code, "message": "Signalement : " + REPORT_REASONS[reason_code]}
    item = _open_item(session, post)
    if item is None:
        item = _new_item(ctx, session, post, [reason])
    elif not any(r.get("source") == "report" and r.get("code") == reason_code for r in item.reasons):
        item.reasons = [*item.reasons, reason]
    report = Report(post_id=post.id, reporter_id=reporter.id, review_item_id=item.id, reason_code=reason_code,
                    text=text, created_at=now)
    session.add(report)
    session.flush()
    reporters = session.scalar(
        select(func.count(func.distinct(Report.reporter_id))).where(Report.review_item_id == item.id)
    ) or 0
    category = session.get(Category, item.category_id)
    assert category is not None
    if reporters >= category.report_threshold and post.masked_at is None:
        post.masked_at = now
    return report


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    reason: str = ""
    category_id: int | None = None
    federation_id: int | None = None
    status: str = "open"
    older_than_hours: int | None = None


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
    report_count: int
    claimed_by: str | None
    masked: bool
    post_status: PostStatus


def _scope_filter(actor: Member) -> Any:
    federation_id = _scoped_federation(actor)
    return True if federation_id is None else Category.federation_id == federation_id


@functools.cache
def _queue_statement(scoped: bool, category: bool, federation: bool, older: bool, reason: str, after: bool,
                     limit: int) -> Select[Any]:
    """The queue's statement for one combination of filters, built once. Ids and instants are
    left as parameters: on PostgreSQL it is one prepared statement with one cached plan, and
    SQLAlchemy rebuilds neither the statement nor its cache key on each page view."""
    # The page's items first, alone: the index on (status, opened_at, id) hands them over in order
    # from the cursor on, and LIMIT ends the walk; the rest of the page is joined to those rows only.
    # Joined to the whole queue, the join's estimated cost followed the queue's length, and past a
    # few hundred open items PostgreSQL judged its generic plan dearer than planning every call
    # again: 1.2 ms of planning per page view at 5 000 items, for 0.2 ms of execution.
    page = (
        select(ReviewItem.id, ReviewItem.post_id, ReviewItem.category_id, ReviewItem.claimed_by_id,
               ReviewItem.reasons, ReviewItem.opened_at, ReviewItem.claimed_at)
        .where(ReviewItem.status == bindparam("status"))
        .order_by(ReviewItem.opened_at, ReviewItem.id)
        # Written into the SQL, not bound: a generic plan of `LIMIT $n` expects a tenth of the queue.
        .limit(literal_column(str(int(limit)), Integer))
    )
    if scoped:
        # The item's own copy of its category's federation: the index on (status, federation_id,
        # opened_at, id) then hands over that federation's items in order, however long the
        # national queue (a subquery on categories made both databases filter every item).
        page = page.where(ReviewItem.federation_id == bindparam("scope_federation_id"))
    if category:
        page = page.where(ReviewItem.category_id == bindparam("category_id"))
    if federation:
        page = page.where(ReviewItem.federation_id == bindparam("federation_id"))
    if older:
        page = page.where(ReviewItem.opened_at <= bindparam("opened_before"))
    if reason in REPORT_REASONS:
        # The code written into the SQL too (one statement per code): bound, it left the generic plan
        # guessing how rare the code is, and a rare one was planned again on every page view.
        page = page.where(select(Report.id).where(Report.review_item_id == ReviewItem.id,
                                                  Report.reason_code == literal(reason, literal_execute=True)).exists())
    elif reason == "checker":
        page = page.where(select(Post.id).where(Post.id == ReviewItem.post_id, Post.status == PostStatus.HELD).exists())
    if after:
        # A row comparison, not `opened_at > at OR (opened_at = at AND id > item_id)`: both databases
        # start the index walk at the cursor with it; with the OR they filter every earlier item.
        page = page.where(tuple_(ReviewItem.opened_at, ReviewItem.id) > tuple_(
            bindparam("after_at", type_=ReviewItem.opened_at.type), bindparam("after_id", type_=Integer())))
    item = page.subquery("page")
    claimer = Member.__table__.alias("claimer")
    reports = select(func.count()).select_from(Report).where(Report.review_item_id == item.c.id).scalar_subquery()
    return (
        select(item.c.id, item.c.post_id, item.c.reasons, item.c.opened_at, item.c.claimed_at,
               Topic.id.label("topic_id"), Topic.title, Category.name, Member.first_name, Member.last_name,
               Post.source, Post.masked_at, Post.status.label("post_status"), reports.label("report_count"),
               claimer.c.first_name.label("claimer_first"), claimer.c.last_name.label("claimer_last"))
        .select_from(item)
        .join(Post, Post.id == item.c.post_id)
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == item.c.category_id)
        .join(Member, Member.id == Post.author_id)
        .outerjoin(claimer, claimer.c.id == item.c.claimed_by_id)
        .order_by(item.c.opened_at, item.c.id)
    )


def queue(
    ctx: Context, session: Session, actor: Member | None, after: tuple[dt.datetime, int] | None,
    filters: QueueFilters = QueueFilters(), limit: int = 25,
) -> tuple[list[QueueRow], tuple[dt.datetime, int] | None]:
    """Items in the moderator's scope, oldest first, by keyset: the cost of a page does not
    grow with the queue."""
    moderator = require_moderator(actor)
    params: dict[str, Any] = {"status": ItemStatus.CLOSED if filters.status == "closed" else ItemStatus.OPEN}
    scope = _scoped_federation(moderator)
    if scope is not None:
        params["scope_federation_id"] = scope
    if filters.category_id:
        params["category_id"] = filters.category_id
    if filters.federation_id:
        params["federation_id"] = filters.federation_id
    if filters.older_than_hours:
        params["opened_before"] = ctx.clock() - dt.timedelta(hours=filters.older_than_hours)
    reason = filters.reason if filters.reason in REPORT_REASONS or filters.reason == "checker" else ""
    if after:
        params["after_at"], params["after_id"] = after
    query = _queue_statement(scope is not None, bool(filters.category_id), bool(filters.federation_id),
                             bool(filters.older_than_hours), reason, after is not None, limit + 1)
    now = ctx.clock()
    rows = []
    for r in session.execute(query, params):
        claim_live = r.claimed_at is not None and now - r.claimed_at < dt.timedelta(minutes=CLAIM_MINUTES)
        rows.append(QueueRow(
            r.id, r.post_id, r.topic_id, r.title, r.name, f"{r.first_name} {r.last_name}", r.source[:280],
            r.reasons, r.opened_at, r.report_count or 0,
            f"{r.claimer_first} {r.claimer_last}" if claim_live and r.claimer_first else None,
            r.masked_at is not None, r.post_status,
        ))
    next_after = (rows[limit - 1].opened_at, rows[limit - 1].item_id) if len(rows) > limit else None
    return rows[:limit], next_after


def _case_for_action(ctx: Context, session: Session, actor: Member | None,
                     item_id: int) -> tuple[Member, ReviewItem, Post, Category]:
    """The one gate before acting on a case: a moderator, in scope, not recused, not beaten to it."""
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
        raise Forbidden(f"Vous êtes récusé·e pour ce message : {recused}.")
    _check_claim(ctx, session, moderator, item)
    return moderator, item, post, category


def claim(ctx: Context, session: Session, actor: Member | None, item_id: int) -> ReviewItem:
    """Take an item so that two moderators do not work on it at once (for 30 minutes)."""
    moderator, item, _post, _category = _case_for_action(ctx, session, actor, item_id)
    item.claimed_by_id = moderator.id
    item.claimed_at = ctx.clock()
    return item


def _check_claim(ctx: Context, session: Session, moderator: Member, item: ReviewItem) -> None:
    if item.claimed_by_id and item.claimed_by_id != moderator.id and item.claimed_at is not None \
            and ctx.clock() - item.claimed_at < dt.timedelta(minutes=CLAIM_MINUTES):
        holder = session.get(Member, item.claimed_by_id)
        name = holder.display_name if holder else "un·e autre modérateur·rice"
        raise Forbidden(f"Ce cas est pris en charge par {name} : attendez sa décision ou la fin de sa prise en charge.")


# --- one item ----------------------------------------------------------------------------


@dataclass
class ItemView:
    item: ReviewItem
    post: Post
    topic: Topic
    category: Category
    author: Member
    author_federation: str | None
    decisions: list[tuple[Decision, str]]
    reports: list[tuple[Report, str]]
    recused: str | None
    may_decide: bool
    actions: tuple[Action, ...] = field(default_factory=tuple)
    claimed_by: str | None = None


def item_view(ctx: Context, session: Session, actor: Member | None, item_id: int) -> ItemView:
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
    # Reporters are shown to moderators only, never to the author.
    reports = [
        (report, f"{first} {last}")
        for report, first, last in session.execute(
            select(Report, Member.first_name, Member.last_name).join(Member, Member.id == Report.reporter_id)
            .where(Report.post_id == post.id).order_by(Report.id)
        )
    ]
    recused = recusal_reason(moderator, post, session)
    claimed_by = None
    if item.claimed_by_id and item.claimed_at and ctx.clock() - item.claimed_at < dt.timedelta(minutes=CLAIM_MINUTES):
        holder = session.get(Member, item.claimed_by_id)
        claimed_by = holder.display_name if holder else None
    return ItemView(item, post, topic, category, author, federation, decisions, reports, recused,
                    may_decide=recused is None and item.status == ItemStatus.OPEN,
                    actions=ACTIONS_FOR_STATUS.get(post.status, ()), claimed_by=claimed_by)


def _validate_reason(reason_code: str, reason_text: str) -> tuple[str, dict[str, str]]:
    errors: dict[str, str] = {}
    reason_text = reason_text.strip()
    if reason_code not in REASONS:
        errors["reason_code"] = "Choisissez un motif."
    elif reason_code == "autre" and not reason_text:
        errors["reason_text"] = "Précisez le motif."
    if len(reason_text) > 2000:
        errors["reason_text"] = "Le motif est limité à 2 000 caractères."
    return reason_text, errors


def _set_post_status(ctx: Context, session: Session, post: Post, status: PostStatus) -> None:
    count_transition(session, post, post.status, status, ctx)
    post.status = status
    if status == PostStatus.PUBLISHED:
        post.hold_reasons = []
    post.masked_at = None
    if post.number == 1:
        topic = session.get(Topic, post.topic_id)
        assert topic is not None
        topic.status = status


def decide(ctx: Context, session: Session, actor: Member | None, item_id: int, action: str, reason_code: str,
           reason_text: str, suspend_days: str | int | None = None) -> Decision:
    """Decide on a case, always with a reason; the author is told in the forum and by email,
    with how to appeal; the decision goes into the journal."""
    moderator, item, post, category = _case_for_action(ctx, session, actor, item_id)
    if item.status != ItemStatus.OPEN:
        raise ValidationFailed({"action": "Ce cas a déjà été traité."})
    allowed = ACTIONS_FOR_STATUS.get(post.status, ())
    try:
        chosen: Action | None = Action(action)
    except ValueError:
        chosen = None
    reason_text, errors = _validate_reason(reason_code, reason_text)
    if chosen not in allowed:
        errors["action"] = "Choisissez une décision possible pour ce message."
    days: int | None = None
    if chosen == Action.SUSPEND:
        try:
            days = int(str(suspend_days or "").strip())
        except ValueError:
            days = None
        if days is None or not 1 <= days <= MAX_SUSPEND_DAYS:
            errors["suspend_days"] = f"Indiquez une durée de suspension entre 1 et {MAX_SUSPEND_DAYS} jours."
    if errors:
        raise ValidationFailed(errors)
    assert chosen is not None
    now = ctx.clock()
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    decision = Decision(review_item_id=item.id, post_id=post.id, moderator_id=moderator.id, action=chosen,
                        reason_code=reason_code, reason_text=reason_text, created_at=now, suspend_days=days)
    session.add(decision)
    if chosen == Action.APPROVE:
        _set_post_status(ctx, session, post, PostStatus.PUBLISHED)
        topic.last_post_at = max(topic.last_post_at, now)
    elif chosen == Action.REJECT:
        _set_post_status(ctx, session, post, PostStatus.REJECTED)
    elif chosen == Action.HIDE:
        _set_post_status(ctx, session, post, PostStatus.HIDDEN)
    elif chosen in (Action.RESTORE, Action.KEEP):
        _set_post_status(ctx, session, post, PostStatus.PUBLISHED)
    elif chosen == Action.LOCK:
        topic.locked = True
        post.masked_at = None
    elif chosen in (Action.WARN, Action.SUSPEND):
        post.masked_at = None
    if chosen == Action.SUSPEND:
        author = session.get(Member, post.author_id)
        assert author is not None
        apply_status(ctx, session, author, MemberStatus.SUSPENDED, days)
    item.status = ItemStatus.CLOSED
    item.closed_at = now
    item.claimed_by_id = None
    session.flush()
    reporters = list(session.scalars(select(Report.reporter_id).where(Report.post_id == post.id)))
    journal.append(session, "decision",
                   {"decision_id": decision.id, "category": category.name, "action": chosen.value,
                    "reason_code": reason_code, "suspend_days": days},
                   {"moderator_id": moderator.id, "post_id": post.id, "author_id": post.author_id,
                    "reason_text": reason_text, "reporters": reporters},
                   now=now)
    _notify_decision(ctx, session, decision, post, topic, chosen, reason_code, reason_text, days)
    return decision


VERDICTS = {
    Action.APPROVE: "a été approuvé et publié",
    Action.REJECT: "a été refusé",
    Action.REQUEST_CHANGES: "doit être modifié avant publication",
    Action.KEEP: "a été examiné et reste publié",
    Action.HIDE: "a été masqué par la modération",
    Action.RESTORE: "a été rétabli",
    Action.LOCK: "se trouve dans un sujet désormais verrouillé",
    Action.WARN: "vous vaut un avertissement de la modération",
    Action.SUSPEND: "vous vaut une suspension",
}


def _notify_decision(ctx: Context, session: Session, decision: Decision, post: Post, topic: Topic, chosen: Action,
                     reason_code: str, reason_text: str, days: int | None) -> None:
    reason = REASONS[reason_code] + (f" — {reason_text}" if reason_text else "")
    verdict = VERDICTS[chosen] + (f" de {days} jour{'s' if days and days > 1 else ''}" if days else "")
    text = f"Votre message dans « {topic.title} » {verdict}. Motif : {reason}."
    follow = ""
    if chosen in ADVERSE:
        follow = (f"\n\nVous pouvez faire appel de cette décision une fois, dans les {APPEAL_DAYS} jours : "
                  f"{ctx.url(f'/decisions/{decision.id}/appel')}\nUn·e autre modérateur·rice tranchera.")
    if chosen == Action.REQUEST_CHANGES:
        follow += "\n\nModifiez votre message : il sera relu à nouveau."
    notify(ctx, session, post.author_id, text,
           link=f"/decisions/{decision.id}/appel" if chosen in ADVERSE else f"/t/{topic.id}#p{post.id}",
           email_subject="Tribune : décision de modération sur votre message",
           email_text=f"Bonjour,\n\n{text}{follow}")


# --- appeals -----------------------------------------------------------------------------


@dataclass
class AppealContext:
    decision: Decision
    post: Post
    topic: Topic
    appeal: Appeal | None
    deadline: dt.datetime
    may_appeal: bool
    why_not: str | None


def appeal_context(ctx: Context, session: Session, actor: Member | None, decision_id: int) -> AppealContext:
    """What the author sees of a decision about their post, and whether they may appeal."""
    if actor is None:
        raise Forbidden()
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise NotFound()
    post = session.get(Post, decision.post_id)
    assert post is not None
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if post.author_id != actor.id:
        category = session.get(Category, topic.category_id)
        assert category is not None
        if not (actor.is_moderator and actor.status == MemberStatus.ACTIVE and in_scope(actor, category)):
            raise NotFound()
    appeal = session.scalar(select(Appeal).where(Appeal.decision_id == decision.id))
    deadline = decision.created_at + dt.timedelta(days=APPEAL_DAYS)
    why_not = None
    if decision.action not in ADVERSE:
        why_not = "Cette décision ne vous est pas défavorable."
    elif appeal is not None:
        why_not = "Vous avez déjà fait appel de cette décision."
    elif ctx.clock() > deadline:
        why_not = f"Le délai d’appel de {APPEAL_DAYS} jours est passé."
    elif post.author_id != actor.id:
        why_not = "Seul·e l’auteur·rice du message peut faire appel."
    return AppealContext(decision, post, topic, appeal, deadline, why_not is None, why_not)


def file_appeal(ctx: Context, session: Session, actor: Member | None, decision_id: int, text: str) -> Appeal:
    """The author appeals a decision once, within 14 days."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    view = appeal_context(ctx, session, actor, decision_id)
    if not view.may_appeal:
        raise ValidationFailed({"text": view.why_not or "Appel impossible."})
    text = text.strip()
    if len(text) < 10:
        raise ValidationFailed({"text": "Expliquez en quelques mots pourquoi la décision devrait changer."})
    if len(text) > 5000:
        raise ValidationFailed({"text": "L’appel est limité à 5 000 caractères."})
    appeal = Appeal(decision_id=decision_id, appellant_id=actor.id, text=text, created_at=ctx.clock())
    session.add(appeal)
    session.flush()
    journal.append(session, "appeal_filed", {"decision_id": decision_id, "appeal_id": appeal.id},
                   {"appellant_id": actor.id, "text": text}, now=ctx.clock())
    return appeal


@dataclass(frozen=True)
class AppealRow:
    appeal: Appeal
    decision: Decision
    topic_title: str
    category: str
    decided_by: str
    recused: str | None = None


def open_appeals(session: Session, actor: Member | None) -> list[AppealRow]:
    moderator = require_moderator(actor)
    rows = session.execute(
        select(Appeal, Decision, Topic.title, Category.name, Member.first_name, Member.last_name)
        .join(Decision, Decision.id == Appeal.decision_id)
        .join(Post, Post.id == Decision.post_id)
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == Topic.category_id)
        .join(Member, Member.id == Decision.moderator_id)
        .where(Appeal.status == AppealStatus.OPEN, _scope_filter(moderator))
        .order_by(Appeal.created_at, Appeal.id)
    )
    result = []
    for a, d, title, cat, first, last in rows:
        post = session.get(Post, d.post_id)
        assert post is not None
        result.append(AppealRow(a, d, title, cat, f"{first} {last}", _appeal_recusal(session, moderator, d, post)))
    return result


def _appeal_recusal(session: Session, moderator: Member, decision: Decision, post: Post) -> str | None:
    if decision.moderator_id == moderator.id:
        return "vous avez pris la décision contestée"
    return recusal_reason(moderator, post, session)


def decide_appeal(ctx: Context, session: Session, actor: Member | None, appeal_id: int, outcome: str, reason_text: str) -> Appeal:
    """Another moderator (not the one who decided, not recused) upholds or overturns the decision."""
    moderator = require_moderator(actor)
    appeal = session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None:
        raise NotFound()
    decision = session.get(Decision, appeal.decision_id)
    assert decision is not None
    post = session.get(Post, decision.post_id)
    assert post is not None
    topic = session.get(Topic, post.topic_id)
    category = session.get(Category, topic.category_id) if topic else None
    assert topic is not None and category is not None
    if not in_scope(moderator, category):
        raise Forbidden("Cet appel relève de la modération d’une autre fédération.")
    recused = _appeal_recusal(session, moderator, decision, post)
    if recused:
        raise Forbidden(f"Vous êtes récusé·e pour cet appel : {recused}.")
    if appeal.status != AppealStatus.OPEN:
        raise ValidationFailed({"outcome": "Cet appel a déjà été tranché."})
    errors: dict[str, str] = {}
    if outcome not in (AppealStatus.UPHELD.value, AppealStatus.OVERTURNED.value):
        errors["outcome"] = "Choisissez : maintenir ou annuler la décision."
    reason_text = reason_text.strip()
    if not reason_text:
        errors["reason_text"] = "Motivez la décision d’appel."
    if errors:
        raise ValidationFailed(errors)
    now = ctx.clock()
    appeal.status = AppealStatus(outcome)
    appeal.decided_by_id = moderator.id
    appeal.decided_at = now
    appeal.reason_text = reason_text
    if appeal.status == AppealStatus.OVERTURNED:
        _undo(ctx, session, decision, post, topic)
    journal.append(session, "appeal_decided",
                   {"decision_id": decision.id, "appeal_id": appeal.id, "outcome": outcome},
                   {"moderator_id": moderator.id, "reason_text": reason_text}, now=now)
    verdict = "annulée" if appeal.status == AppealStatus.OVERTURNED else "maintenue"
    notify(ctx, session, appeal.appellant_id,
           f"Votre appel sur « {topic.title} » a été examiné : la décision est {verdict}. Motif : {reason_text}",
           link=f"/decisions/{decision.id}/appel",
           email_subject="Tribune : décision sur votre appel")
    return appeal


def _undo(ctx: Context, session: Session, decision: Decision, post: Post, topic: Topic) -> None:
    if decision.action in (Action.REJECT, Action.HIDE, Action.REQUEST_CHANGES):
        _set_post_status(ctx, session, post, PostStatus.PUBLISHED)
    elif decision.action == Action.LOCK:
        topic.locked = False
    elif decision.action == Action.SUSPEND:
        author = session.get(Member, post.author_id)
        if author is not None and author.status == MemberStatus.SUSPENDED:
            apply_status(ctx, session, author, MemberStatus.ACTIVE)


# --- right of reply ------------------------------------------------------------------------


def hide_quote_reply(ctx: Context, session: Session, actor: Member | None, reply_id: int, reason_code: str,
                     reason_text: str) -> QuoteReply:
    """Only moderation hides a quoted member's reply: with a reason, a journal entry, a notice."""
    moderator = require_moderator(actor)
    reply = session.get(QuoteReply, reply_id, with_for_update=True)
    if reply is None:
        raise NotFound()
    row = session.execute(
        select(Post, Category).join(Quote, Quote.post_id == Post.id).join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == Topic.category_id).where(Quote.id == reply.quote_id)
    ).first()
    if row is None:
        raise NotFound()
    post, category = row
    if not in_scope(moderator, category):
        raise Forbidden("Ce message relève de la modération d’une autre fédération.")
    recused = "vous êtes l’auteur·rice de cette réponse" if reply.member_id == moderator.id else recusal_reason(moderator, post, session)
    if recused:
        raise Forbidden(f"Vous êtes récusé·e : {recused}.")
    if reply.hidden:
        raise ValidationFailed({"reason_code": "Cette réponse est déjà masquée."})
    reason_text, errors = _validate_reason(reason_code, reason_text)
    if errors:
        raise ValidationFailed(errors)
    reply.hidden = True
    journal.append(session, "quote_reply_hidden", {"category": category.name, "reason_code": reason_code},
                   {"moderator_id": moderator.id, "reply_id": reply.id, "reason_text": reason_text}, now=ctx.clock())
    reason = REASONS[reason_code] + (f" — {reason_text}" if reason_text else "")
    notify(ctx, session, reply.member_id, f"Votre réponse à une citation a été masquée par la modération. Motif : {reason}.",
           link=f"/t/{post.topic_id}#p{post.id}", email_subject="Tribune : votre réponse a été masquée")
    return reply
