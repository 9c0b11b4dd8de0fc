"""A new post is written with prebuilt statements around the ORM unit of work
(forum/services/posting.py): the rows must be what a flush would have written, and the
session's objects must stay as a flush would have left them."""

from __future__ import annotations

from sqlalchemy import inspect, select

from forum.events import QuoteInput
from forum.models import Category, Member, Post, PostRevision, PostStatus, Topic
from forum.services import posting


def _topic(world, author_key: str = "ana") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    ctx = world.ctx
    member_id = world.member(author_key)
    with ctx.db.write() as session:
        topic = posting.create_topic(ctx, session, session.get(Member, member_id), "general", "Un sujet ouvert",
                                     "Le premier message.")
        return topic.id, member_id


def test_reply_leaves_the_session_as_a_flush_would(world):
    ctx = world.ctx
    topic_id, _ = _topic(world)
    replier = world.member("bea")
    with ctx.db.write() as session:
        category = session.scalar(select(Category).where(Category.slug == "general"))
        assert category is not None and category.post_count == 1
        topic = session.get(Topic, topic_id)  # loaded before the reply, like position_reply does
        assert topic is not None
        post = posting.reply(ctx, session, session.get(Member, replier), topic_id, "Une *réponse*.")
        state = inspect(post)
        assert state.persistent and not state.expired_attributes and not state.modified
        assert post not in session.dirty and not session.new
        assert (post.number, post.status, post.revision_count, post.edited_at, post.masked_at) == (
            2, PostStatus.PUBLISHED, 1, None, None)
        assert post.html == "<p>Une <em>réponse</em>.</p>\n"
        assert topic.post_count == 2 and topic.last_post_at == post.created_at
        assert topic not in session.dirty
        assert category.post_count == 2 and category.topic_count == 1  # reloaded, not stale
        post_id = post.id
    with ctx.db.read() as session:
        row = session.get(Post, post_id)
        assert row is not None
        assert (row.topic_id, row.number, row.author_id, row.status, row.source, row.html, row.hold_reasons) == (
            topic_id, 2, replier, PostStatus.PUBLISHED, "Une *réponse*.", "<p>Une <em>réponse</em>.</p>\n", [])
        assert row.created_at == post.created_at
        revision = session.scalar(select(PostRevision).where(PostRevision.post_id == post_id))
        assert revision is not None
        assert (revision.number, revision.editor_id, revision.source, revision.html, revision.quotes,
                revision.visible) == (1, replier, row.source, row.html, [], True)
        saved_topic = session.get(Topic, topic_id)
        assert saved_topic is not None and saved_topic.post_count == 2
        assert saved_topic.last_post_at == row.created_at


def test_held_reply_keeps_its_revision_private_and_the_counts(world):
    ctx = world.ctx
    topic_id, _ = _topic(world)
    replier = world.member("bea")
    with ctx.db.read() as session:
        before = session.get(Topic, topic_id)
        assert before is not None
    # No source and no date: the checker holds the post for moderation.
    quote = QuoteInput(kind="tweet", author="Quelqu’un", text="Des mots.", context="Un débat télévisé.")
    with ctx.db.write() as session:
        post = posting.reply(ctx, session, session.get(Member, replier), topic_id, "Voyez plutôt.", [quote])
        assert post.status == PostStatus.HELD and post.hold_reasons
        post_id = post.id
    with ctx.db.read() as session:
        revision = session.scalar(select(PostRevision).where(PostRevision.post_id == post_id))
        assert revision is not None and revision.visible is False and len(revision.quotes) == 1
        topic = session.get(Topic, topic_id)
        assert topic is not None and topic.post_count == 2 and topic.last_post_at == before.last_post_at
        category = session.scalar(select(Category).where(Category.slug == "general"))
        assert category is not None and category.post_count == 1
