"""Topics, replies and edits. Markdown is cooked to sanitised HTML here, once, at write."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum.context import Context
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.markup import render_markdown
from forum.models import (
    Category,
    Member,
    MemberStatus,
    Post,
    PostKind,
    PostRevision,
    PostStatus,
    Topic,
)

TITLE_MIN, TITLE_MAX = 5, 200
BODY_MAX = 50_000


def _require_active(actor: Member | None) -> Member:
    if actor is None:
        raise Forbidden("Connectez-vous pour écrire.")
    if actor.status != MemberStatus.ACTIVE:
        raise Forbidden("Votre compte ne peut pas publier.")
    return actor


def _validate_body(source: str) -> str:
    source = source.replace("\r\n", "\n").strip()
    if not source:
        raise ValidationFailed({"body": "Le message est vide."})
    if len(source) > BODY_MAX:
        raise ValidationFailed({"body": f"Le message dépasse {BODY_MAX:,} caractères.".replace(",", "\u202f")})
    return source


def _validate_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) < TITLE_MIN:
        raise ValidationFailed({"title": f"Le titre doit compter au moins {TITLE_MIN} caractères."})
    if len(title) > TITLE_MAX:
        raise ValidationFailed({"title": f"Le titre doit compter au plus {TITLE_MAX} caractères."})
    return title


def _add_post(ctx: Context, session: Session, topic: Topic, author: Member, source: str, kind: PostKind) -> Post:
    now = ctx.clock()
    html = render_markdown(source)
    topic.post_count += 1
    topic.last_post_at = now
    post = Post(
        topic_id=topic.id,
        number=topic.post_count,
        author_id=author.id,
        kind=kind,
        status=PostStatus.PUBLISHED,
        source=source,
        html=html,
        created_at=now,
        revision_count=1,
    )
    session.add(post)
    session.flush()
    session.add(PostRevision(post_id=post.id, number=1, editor_id=author.id, source=source, html=html, created_at=now))
    session.execute(
        update(Category).where(Category.id == topic.category_id).values(post_count=Category.post_count + 1)
    )
    return post


def create_topic(
    ctx: Context, session: Session, actor: Member | None, category_slug: str, title: str, body: str
) -> Topic:
    """Open a topic with its first post."""
    author = _require_active(actor)
    category = session.scalar(select(Category).where(Category.slug == category_slug))
    if category is None:
        raise NotFound()
    errors: dict[str, str] = {}
    try:
        title = _validate_title(title)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        body = _validate_body(body)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    now = ctx.clock()
    topic = Topic(category_id=category.id, author_id=author.id, title=title, created_at=now, last_post_at=now, post_count=0)
    session.add(topic)
    session.flush()
    _add_post(ctx, session, topic, author, body, PostKind.MESSAGE)
    session.execute(
        update(Category).where(Category.id == category.id).values(topic_count=Category.topic_count + 1)
    )
    return topic


def reply(ctx: Context, session: Session, actor: Member | None, topic_id: int, body: str) -> Post:
    """Add a reply at the end of a topic."""
    author = _require_active(actor)
    # Lock the topic row: post numbers are handed out under it (PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises writers).
    topic = session.scalar(select(Topic).where(Topic.id == topic_id).with_for_update())
    if topic is None:
        raise NotFound()
    if topic.locked:
        raise Forbidden("Ce sujet est verrouillé : on ne peut plus y répondre.")
    body = _validate_body(body)
    return _add_post(ctx, session, topic, author, body, PostKind.MESSAGE)


def edit_post(ctx: Context, session: Session, actor: Member | None, post_id: int, body: str) -> Post:
    """The author edits a post; the old text stays in the history as a revision."""
    editor = _require_active(actor)
    post = session.get(Post, post_id, with_for_update=True)
    if post is None or post.status == PostStatus.DELETED:
        raise NotFound()
    if post.author_id != editor.id:
        raise Forbidden("Vous ne pouvez modifier que vos propres messages.")
    topic = session.get(Topic, post.topic_id)
    assert topic is not None
    if topic.locked:
        raise Forbidden("Ce sujet est verrouillé : ses messages ne peuvent plus être modifiés.")
    body = _validate_body(body)
    if body == post.source:
        return post
    now = ctx.clock()
    post.source = body
    post.html = render_markdown(body)
    post.revision_count += 1
    post.edited_at = now
    session.add(
        PostRevision(post_id=post.id, number=post.revision_count, editor_id=editor.id, source=body, html=post.html, created_at=now)
    )
    session.flush()
    return post
