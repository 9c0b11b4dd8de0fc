"""Topics, replies and edits, with their structured quotes.

Markdown is cooked to sanitised HTML here, once, at write. Every write runs the
draft checker installed on the context (moderation's provenance checker):
a "block" finding refuses the form and saves nothing; a "hold" finding saves the
post as held, visible to its author only, and tells moderation through the
POST_SAVED event, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from forum.context import Context
from forum.db import pairs
from forum import security
from forum.errors import Forbidden, NotFound, RateLimited, ValidationFailed, wait_message
from forum.events import POST_SAVED, CheckFinding, DraftInput, QuoteInput
from forum.markup import render_markdown
from forum.models import (
    Category,
    Member,
    MemberStatus,
    Post,
    PostKind,
    PostRevision,
    PostStatus,
    Quote,
    QuoteKind,
    Topic,
)
from forum.services.attachments import owned_attachment

TITLE_MIN, TITLE_MAX = 5, 200
BODY_MAX = 50_000
MAX_QUOTES = 20
QUOTE_LIMITS = {"author": 200, "handle": 200, "said_at": 40, "source_url": 2000, "archive_url": 2000,
                "context": 5000, "text": 20_000}
KIND_VALUES = {k.value for k in QuoteKind}

# The statements every reply runs, built once and run on the session's connection: SQLAlchemy
# would otherwise construct them and compute their cache key on each post, and its ORM layer
# (entity loading, unit of work) costs several times what SQLite does to run them.
_TOPICS: Table = Topic.__table__  # type: ignore[assignment]
_POSTS: Table = Post.__table__  # type: ignore[assignment]
_REVISIONS: Table = PostRevision.__table__  # type: ignore[assignment]
_CATEGORIES: Table = Category.__table__  # type: ignore[assignment]
_TOPIC_TO_REPLY = (
    select(_TOPICS.c.id, _TOPICS.c.category_id, _TOPICS.c.post_count, _TOPICS.c.author_id, _TOPICS.c.status,
           _TOPICS.c.locked, _CATEGORIES.c.moderation_policy)
    .join_from(_TOPICS, _CATEGORIES, _CATEGORIES.c.id == _TOPICS.c.category_id)
    .where(_TOPICS.c.id == bindparam("topic_id"))
    .with_for_update(of=_TOPICS)  # PostgreSQL: lock the topic row only; SQLite: BEGIN IMMEDIATE did
)
_BUMP_TOPIC = update(_TOPICS).where(_TOPICS.c.id == bindparam("topic_id")).values(post_count=bindparam("number"))
_BUMP_TOPIC_AND_DATE = _BUMP_TOPIC.values(last_post_at=bindparam("moment"))
_INSERT_POST = insert(_POSTS)
_INSERT_REVISION = insert(_REVISIONS)


def _count_update(delta: int, topics: bool) -> Any:
    values = {"post_count": _CATEGORIES.c.post_count + delta}
    if topics:
        values["topic_count"] = _CATEGORIES.c.topic_count + delta
    return update(_CATEGORIES).where(_CATEGORIES.c.id == bindparam("category_id")).values(**values)


# (delta, first post of its topic) -> UPDATE categories
_COUNT_UPDATES = {(delta, topics): _count_update(delta, topics) for delta in (1, -1) for topics in (False, True)}


def _check_flood(ctx: Context, session: Session, author: Member, new_topic: bool) -> None:
    """Flood limits kept in the database, so that they hold across workers and nodes."""
    now = ctx.clock()
    limits = []
    if ctx.settings.seconds_between_posts > 0:
        limits.append((security.Limit("post", 1, ctx.settings.seconds_between_posts),
                       "Vous venez de publier : attendez un peu avant le prochain message. Réessayez "))
    if new_topic and ctx.settings.topics_per_day > 0:
        limits.append((security.Limit("topic", ctx.settings.topics_per_day, 86400),
                       f"Vous avez ouvert {ctx.settings.topics_per_day} sujets en 24 heures. Réessayez "))
    for limit, message in limits:
        wait = security.retry_after(session, limit, str(author.id), now)
        if wait:
            raise RateLimited(message + wait_message(wait) + ". Votre texte est conservé.", wait)
    for limit, _ in limits:
        security.record_event(session, limit, str(author.id), now)


def _require_active(actor: Member | None) -> Member:
    if actor is None:
        raise Forbidden("Connectez-vous pour écrire.")
    if actor.status != MemberStatus.ACTIVE:
        raise Forbidden("Votre compte ne peut pas publier.")
    return actor


def _validate_body(source: str, quotes: Sequence[QuoteInput]) -> str:
    # NUL cannot be stored by PostgreSQL; markup turns it into U+FFFD too, so source and HTML agree.
    source = source.replace("\r\n", "\n").replace("\x00", "\ufffd").strip()
    if not source and not quotes:
        raise ValidationFailed({"body": "Le message est vide."})
    if len(source) > BODY_MAX:
        raise ValidationFailed({"body": f"Le message dépasse {BODY_MAX:,} caractères.".replace(",", "\u202f")})
    return source


def _validate_title(title: str) -> str:
    title = " ".join(title.replace("\x00", "\ufffd").split())
    if len(title) < TITLE_MIN:
        raise ValidationFailed({"title": f"Le titre doit compter au moins {TITLE_MIN} caractères."})
    if len(title) > TITLE_MAX:
        raise ValidationFailed({"title": f"Le titre doit compter au plus {TITLE_MAX} caractères."})
    return title


def _validate_quotes(session: Session, actor: Member, quotes: Sequence[QuoteInput]) -> dict[str, str]:
    """Form-level checks the forum owns: kinds, lengths, whose attachment, which post is quoted."""
    errors: dict[str, str] = {}
    if len(quotes) > MAX_QUOTES:
        errors["quotes"] = f"{MAX_QUOTES} citations au plus par message : scindez-le."
    for index, quote in enumerate(quotes):
        key = f"q-{index}-"
        for name in QUOTE_LIMITS:
            setattr(quote, name, getattr(quote, name).replace("\x00", "\ufffd"))
        if quote.kind not in KIND_VALUES:
            errors[key + "kind"] = "Choisissez le type de la citation."
        for name, limit in QUOTE_LIMITS.items():
            if len(getattr(quote, name)) > limit:
                errors[key + name] = f"Ce champ est limité à {limit} caractères."
        if quote.attachment_id is not None:
            try:
                attachment = owned_attachment(session, actor, quote.attachment_id)
            except (NotFound, Forbidden):
                errors[key + "attachment"] = "Pièce jointe introuvable : joignez à nouveau le fichier."
            else:
                quote.attachment_name = attachment.filename
                quote.attachment_sha256 = attachment.sha256
        if quote.kind == QuoteKind.INTERNAL.value:
            quoted = session.get(Post, quote.quoted_post_id) if quote.quoted_post_id else None
            visible = quoted is not None and (
                quoted.status == PostStatus.PUBLISHED or quoted.author_id == actor.id
            )
            if not visible:
                errors[key + "quoted_post"] = "Indiquez un message du forum visible (son numéro ou son lien)."
            elif quoted is not None:
                # The person quoted by an internal quote is the quoted post's author, whatever was typed.
                quote.quoted_member_id = quoted.author_id
        ref = quote.quoted_member_ref.strip()
        if ref and quote.kind != QuoteKind.INTERNAL.value:
            found = session.scalar(select(Member.id).where(
                (Member.email == ref.lower()) | (Member.membership_number == ref)))
            if found is None:
                errors[key + "quoted_member"] = "Aucun·e adhérent·e ne correspond à cette adresse ou à ce numéro."
            elif found == actor.id:
                errors[key + "quoted_member"] = "Vous ne pouvez pas vous désigner comme la personne citée."
            else:
                quote.quoted_member_id = found
        for name in ("source_url", "archive_url"):
            value = getattr(quote, name).strip()
            if value and not value.lower().startswith(("https://", "http://")):
                errors[key + name] = "Le lien doit commencer par https:// (ou http://)."
    return errors


def _check(ctx: Context, session: Session, policy: str, body: str, quotes: list[QuoteInput]) -> list[CheckFinding]:
    """Run the installed checker; raise ValidationFailed on any "block" finding."""
    if ctx.checker is None:
        return []
    findings = list(ctx.checker(session, DraftInput(body=body, policy=policy, quotes=quotes)))
    blocks = [f for f in findings if f.severity == "block"]
    if blocks:
        errors: dict[str, str] = {}
        for finding in blocks:
            key = f"q-{finding.quote_index}-{finding.field or 'text'}" if finding.quote_index is not None else "body"
            errors[key] = f"{errors[key]} {finding.message}" if key in errors else finding.message
        raise ValidationFailed(errors)
    return findings


def _hold_reasons(findings: Sequence[CheckFinding]) -> list[dict[str, Any]]:
    return [
        {"code": f.code, "message": f.message, "quote_index": f.quote_index}
        for f in findings
        if f.severity == "hold"
    ]


def _save_quotes(session: Session, post: Post, quotes: Sequence[QuoteInput], findings: Sequence[CheckFinding],
                 created: bool = False) -> list[dict[str, Any]]:
    """Write the post's quotes in place, position by position; returns their snapshot for the revision.

    Rows are updated rather than replaced so that a quoted member's reply stays attached: a
    quote that received a reply can be corrected, but neither removed nor turned against
    somebody else (the reply would silently disappear).

    A post just `created` has no quote rows yet (its id is new, and quotes die with their
    post: ON DELETE CASCADE), so there is nothing to read first.
    """
    from forum.models import QuoteReply

    existing: dict[int, Quote] = {}
    replied: set[int] = set()
    if not created:
        existing = {q.position: q for q in session.scalars(select(Quote).where(Quote.post_id == post.id))}
        replied = set(session.scalars(select(Quote.position).join(QuoteReply, QuoteReply.quote_id == Quote.id)
                                      .where(Quote.post_id == post.id)))
    errors: dict[str, str] = {}
    for position in replied:
        if position >= len(quotes):
            errors["quotes"] = ("Une citation a reçu une réponse de la personne citée : elle ne peut plus être "
                                "retirée, seulement corrigée.")
        elif quotes[position].quoted_member_id != existing[position].quoted_member_id:
            errors[f"q-{position}-quoted_member"] = "Cette citation a reçu une réponse : la personne citée ne peut plus changer."
    if errors:
        raise ValidationFailed(errors)
    snapshot = []
    for index, quote in enumerate(quotes):
        revision_id = None
        if quote.kind == QuoteKind.INTERNAL.value and quote.quoted_post_id:
            revision_id = session.scalar(
                select(func.max(PostRevision.id)).where(PostRevision.post_id == quote.quoted_post_id)
            )
        values = dict(
            kind=QuoteKind(quote.kind), author=quote.author.strip(), handle=quote.handle.strip(),
            said_at=quote.said_at.strip(), source_url=quote.source_url.strip(), archive_url=quote.archive_url.strip(),
            context=quote.context.strip(), text=quote.text.strip(), attachment_id=quote.attachment_id,
            quoted_post_id=quote.quoted_post_id if revision_id else None, quoted_revision_id=revision_id,
            quoted_member_id=quote.quoted_member_id,
            findings=[{"code": f.code, "severity": f.severity, "message": f.message}
                      for f in findings if f.quote_index == index],
        )
        row = existing.get(index)
        if row is None:
            session.add(Quote(post_id=post.id, position=index, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        snapshot.append(quote.as_dict())
    for position, row in existing.items():
        if position >= len(quotes):
            session.delete(row)
    if quotes or existing:
        session.flush()
    return snapshot


def _notify_quoted(ctx: Context, session: Session, post: Post) -> None:
    """Tell each member quoted by a newly visible post, once, that they may reply on the card."""
    from forum.models import Notification
    from forum.services.notifications import notify

    for quote_id, member_id in session.execute(
        select(Quote.id, Quote.quoted_member_id).where(Quote.post_id == post.id, Quote.quoted_member_id.is_not(None))
    ):
        link = f"/citations/{quote_id}/reponse"
        if member_id is None or member_id == post.author_id or session.scalar(
            select(Notification.id).where(Notification.member_id == member_id, Notification.link == link)
        ) is not None:
            continue
        notify(ctx, session, member_id, "Vous êtes cité·e dans un message : vous pouvez répondre à côté de la citation.",
               link=link, email_subject="Tribune : vous êtes cité·e")


def count_transition(session: Session, post: Post, old: PostStatus | None, new: PostStatus,
                     ctx: Context | None = None, *, category_id: int | None = None,
                     revision_visible: bool = False, has_quotes: bool = True) -> None:
    """Keep a category's public counts to what members can see: only published posts count
    (a held topic must not show up as "1 sujet" to others). A post that becomes visible
    tells the members it quotes.

    A caller that knows spares the queries: the topic's `category_id`, that the post's
    current revision is already stored as visible (`revision_visible`), that the post has
    no quote rows (`has_quotes=False`)."""
    was, now = old == PostStatus.PUBLISHED, new == PostStatus.PUBLISHED
    if now and not revision_visible:
        # The version others now see becomes part of the public history.
        session.execute(update(PostRevision).where(PostRevision.post_id == post.id,
                                                   PostRevision.number == post.revision_count).values(visible=True))
    if now and ctx is not None:
        if has_quotes:
            _notify_quoted(ctx, session, post)
        if post.kind == PostKind.STATEMENT:
            from forum.services.statements import notify_invitees

            notify_invitees(ctx, session, post)
    if was == now:
        return
    if category_id is None:
        category_id = session.scalar(select(Topic.category_id).where(Topic.id == post.topic_id))
    session.connection().execute(_COUNT_UPDATES[1 if now else -1, post.number == 1], {"category_id": category_id})
    loaded = session.identity_map.get(identity_key(Category, category_id))
    if loaded is not None:
        # The statement above went around the ORM: a Category of this session reloads its counts.
        session.expire(loaded, ["post_count", "topic_count"])


def _validated(session: Session, actor: Member, body: str, quotes: list[QuoteInput], title: str | None) -> tuple[str, str | None]:
    errors: dict[str, str] = {}
    if title is not None:
        try:
            title = _validate_title(title)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    try:
        body = _validate_body(body, quotes)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    errors.update(_validate_quotes(session, actor, quotes))
    if errors:
        raise ValidationFailed(errors)
    return body, title


class _TopicEnd(NamedTuple):
    """What adding a post needs of its topic."""

    id: int
    category_id: int
    post_count: int


def _add_post(
    ctx: Context, session: Session, topic: _TopicEnd, policy: str, author: Member, source: str,
    quotes: list[QuoteInput], kind: PostKind,
) -> Post:
    """Write a new post at the end of `topic` (whose category has moderation `policy`)."""
    findings = _check(ctx, session, policy, source, quotes)
    holds = _hold_reasons(findings)
    now = ctx.clock()
    html = render_markdown(source)
    status = PostStatus.HELD if holds else PostStatus.PUBLISHED
    shown = status == PostStatus.PUBLISHED
    # The topic row, the post and its first revision are written with the prebuilt statements,
    # not through the unit of work. A Topic of this session is left as a flush would have left
    # it, and the post is a persistent Post, as if loaded.
    connection = session.connection()
    number = topic.post_count + 1
    connection.execute(_BUMP_TOPIC_AND_DATE if shown else _BUMP_TOPIC,
                       {"topic_id": topic.id, "number": number, "moment": now})
    loaded = session.identity_map.get(identity_key(Topic, topic.id))
    if loaded is not None:
        set_committed_value(loaded, "post_count", number)
        if shown:
            set_committed_value(loaded, "last_post_at", now)
    columns: dict[str, Any] = dict(
        topic_id=topic.id, number=number, author_id=author.id, kind=kind, status=status, source=source,
        html=html, created_at=now, edited_at=None, revision_count=1, hold_reasons=holds, masked_at=None,
    )
    inserted = connection.execute(_INSERT_POST, columns).inserted_primary_key
    assert inserted is not None
    post = Post(id=inserted[0], **columns)
    make_transient_to_detached(post)  # every column set: as if loaded, nothing left to flush
    session.add(post)
    snapshot = _save_quotes(session, post, quotes, findings, created=True)
    connection.execute(_INSERT_REVISION, {
        "post_id": post.id, "number": 1, "editor_id": author.id, "source": source, "html": html,
        "created_at": now, "quotes": snapshot, "visible": shown})
    ctx.events.emit(POST_SAVED, ctx=ctx, session=session, post=post, holds=holds, created=True)
    # A handler may have changed the status: count_transition takes the one it left.
    count_transition(session, post, None, post.status, ctx, category_id=topic.category_id,
                     revision_visible=shown, has_quotes=bool(quotes))
    return post


def create_topic(
    ctx: Context, session: Session, actor: Member | None, category_slug: str, title: str, body: str,
    quotes: list[QuoteInput] | None = None, kind: PostKind = PostKind.MESSAGE,
) -> Topic:
    """Open a topic with its first post. A held first post keeps the whole topic out of sight."""
    author = _require_active(actor)
    category = session.scalar(select(Category).where(Category.slug == category_slug))
    if category is None:
        raise NotFound()
    if category.designation_id is not None and kind != PostKind.QUESTION:
        # A designation's questions follow its calendar and scope: they go through ask_question.
        raise Forbidden("Les questions aux candidat·es se posent depuis la page de la désignation.")
    quotes = quotes or []
    body, clean_title = _validated(session, author, body, quotes, title)
    assert clean_title is not None
    _check_flood(ctx, session, author, new_topic=True)
    now = ctx.clock()
    topic = Topic(category_id=category.id, author_id=author.id, title=clean_title, created_at=now,
                  last_post_at=now, post_count=0)
    session.add(topic)
    session.flush()
    post = _add_post(ctx, session, _TopicEnd(topic.id, topic.category_id, topic.post_count),
                     category.moderation_policy.value, author, body, quotes, kind)
    topic.status = post.status
    return topic


def reply(
    ctx: Context, session: Session, actor: Member | None, topic_id: int, body: str,
    quotes: list[QuoteInput] | None = None, kind: PostKind = PostKind.MESSAGE,
) -> Post:
    """Add a reply at the end of a topic."""
    author = _require_active(actor)
    # Lock the topic row: post numbers are handed out under it (PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises writers). The category's policy comes with it.
    topic = session.connection().execute(_TOPIC_TO_REPLY, {"topic_id": topic_id}).first()
    if topic is None or (topic.status != PostStatus.PUBLISHED and topic.author_id != author.id):
        raise NotFound()
    if topic.locked:
        raise Forbidden("Ce sujet est verrouillé : on ne peut plus y répondre.")
    quotes = quotes or []
    body, _ = _validated(session, author, body, quotes, None)
    _check_flood(ctx, session, author, new_topic=False)
    return _add_post(ctx, session, _TopicEnd(topic.id, topic.category_id, topic.post_count),
                     topic.moderation_policy.value, author, body, quotes, kind)


def edit_post(
    ctx: Context, session: Session, actor: Member | None, post_id: int, body: str,
    quotes: list[QuoteInput] | None = None,
) -> Post:
    """The author edits a post; the old version stays in the history. The checker runs again."""
    editor = _require_active(actor)
    post = session.get(Post, post_id, with_for_update=True)
    if post is None or post.status == PostStatus.DELETED:
        raise NotFound()
    if post.author_id != editor.id:
        raise Forbidden("Vous ne pouvez modifier que vos propres messages.")
    if post.status in (PostStatus.REJECTED, PostStatus.HIDDEN):
        raise Forbidden("Ce message a été retiré par la modération : il ne peut plus être modifié.")
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if topic.locked:
        raise Forbidden("Ce sujet est verrouillé : ses messages ne peuvent plus être modifiés.")
    category = session.get(Category, topic.category_id)
    assert category is not None
    quotes = quotes or []
    body, _ = _validated(session, editor, body, quotes, None)
    current = session.scalar(
        select(PostRevision.quotes).where(PostRevision.post_id == post.id, PostRevision.number == post.revision_count)
    )
    if body == post.source and [q.as_dict() for q in quotes] == (current or []):
        return post
    # Every edit re-runs the checker and may re-enter the queue: rewriting a post over and
    # over is flooding too. Counted per member, in the database, so across workers.
    per_hour = ctx.settings.edits_per_hour
    security.throttle(
        session, security.Limit("edit", per_hour, 3600), str(editor.id),
        f"Vous avez modifié vos messages {per_hour} fois en une heure. Réessayez {{wait}}. "
        "Votre texte est conservé.", ctx.clock(), form_field="body")
    findings = _check(ctx, session, category.moderation_policy.value, body, quotes)
    holds = _hold_reasons(findings)
    now = ctx.clock()
    post.source = body
    post.html = render_markdown(body)
    post.revision_count += 1
    post.edited_at = now
    post.hold_reasons = holds
    previous_status = post.status
    post.status = PostStatus.HELD if holds else PostStatus.PUBLISHED
    snapshot = _save_quotes(session, post, quotes, findings)
    revision = PostRevision(post_id=post.id, number=post.revision_count, editor_id=editor.id, source=body,
                            html=post.html, created_at=now, quotes=snapshot)
    session.add(revision)
    session.flush()
    ctx.events.emit(POST_SAVED, ctx=ctx, session=session, post=post, holds=holds, created=False)
    revision.visible = post.status == PostStatus.PUBLISHED  # after moderation's handler had its say
    count_transition(session, post, previous_status, post.status, ctx)
    if post.kind == PostKind.STATEMENT:
        from forum.services.statements import after_statement_edit

        after_statement_edit(ctx, session, post)
    if post.number == 1:
        topic.status = post.status
    return post


def quotes_of(session: Session, post_id: int) -> list[QuoteInput]:
    """A post's current quotes as form inputs (to prefill the edit form)."""
    emails = pairs(session.execute(
        select(Quote.id, Member.email).join(Member, Member.id == Quote.quoted_member_id).where(Quote.post_id == post_id)
    ))
    rows = session.scalars(select(Quote).where(Quote.post_id == post_id).order_by(Quote.position))
    return [
        QuoteInput(kind=q.kind.value, author=q.author, handle=q.handle, said_at=q.said_at, source_url=q.source_url,
                   archive_url=q.archive_url, context=q.context, text=q.text, attachment_id=q.attachment_id,
                   quoted_post_id=q.quoted_post_id,
                   quoted_member_ref=emails.get(q.id, "") if not q.quoted_post_id else "")
        for q in rows
    ]
