"""The hot statements run below SQLAlchemy's execution layer (forum/prepared.py) must give
exactly what SQLAlchemy gives for the same statement: same rows, same Python values (aware
datetimes, enums, JSON, booleans), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from forum import queries, security
from forum.events import QuoteInput
from forum.models import Member, Post, PostStatus, Topic
from forum.prepared import Prepared
from forum.services import accounts, posting
from tests.conftest import PASSWORD


def _through_sqlalchemy(connection, prepared: Prepared, params: dict) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [tuple(row) for row in connection.execute(prepared.statement, params)]


@pytest.fixture
def topic(world):  # type: ignore[no-untyped-def]
    """A topic with a published post, a quoting post, a held post and a masked one."""
    ctx = world.ctx
    ana, bea = world.member("ana"), world.member("bea")
    with ctx.db.write() as session:
        author = session.get(Member, ana)
        made = posting.create_topic(ctx, session, author, "general", "Un sujet « typé »", "Premier message.")
        quote = QuoteInput(kind="tweet", author="Léa", said_at="2026-01-05", source_url="https://example.org/s",
                           text="Une phrase citée.", context="Un débat.")
        posting.reply(ctx, session, session.get(Member, bea), made.id, "Je cite.", [quote])
        held = posting.reply(ctx, session, author, made.id, "Voir https://x.com/quelquun/status/1 collé sans source.")
        masked = posting.reply(ctx, session, session.get(Member, bea), made.id, "Un message masqué.")
        session.execute(update(Post).where(Post.id == masked.id).values(masked_at=dt.datetime.now(dt.timezone.utc)))
        session.execute(update(Post).where(Post.id == held.id).values(
            status=PostStatus.HELD, hold_reasons=[{"code": "no_source", "message": "Source manquante."}]))
        return made.id, ana, bea


def _types(rows: list[tuple]) -> list[list[type]]:
    return [[type(value) for value in row] for row in rows]


def test_a_topic_page_reads_what_sqlalchemy_reads(world, topic):
    """Both forms of the page's read (the posts alone after the head, on SQLite; the head and
    the posts in one UNION ALL, on PostgreSQL), run on both databases, against SQLAlchemy."""
    topic_id, ana, bea = topic
    statements = queries._topic_page_statements(world.ctx.post_probes)
    w = statements.width  # a post row's columns; in the compound, the head's follow

    def read(viewer):  # type: ignore[no-untyped-def]
        params = {"topic_id": topic_id, "first": 1, "last": 20, "viewer_id": viewer}
        with world.ctx.db.read() as session:
            connection = session.connection()
            posts, both = statements.posts.rows(connection, params), statements.both.rows(connection, params)
            slow_posts = _through_sqlalchemy(connection, statements.posts, params)
            slow_both = sorted(_through_sqlalchemy(connection, statements.both, params), key=repr)
        # Equal values of the same types: == alone takes PostStatus.PUBLISHED for "published", 1 for True.
        assert posts == slow_posts and _types(posts) == _types(slow_posts)
        assert sorted(both, key=repr) == slow_both and _types(sorted(both, key=repr)) == _types(slow_both)
        heads = [row for row in both if row[0] is None]
        assert len(heads) == 1 and set(heads[0][:w]) == {None} and heads[0][w] == topic_id
        assert isinstance(heads[0][w + 5], PostStatus) and heads[0][w + 4] is False
        assert [row[:w] for row in both if row[0] is not None] == posts  # the same post rows, in order here
        assert all(set(row[w:]) == {None} for row in both if row[0] is not None)
        return posts

    for viewer in (ana, bea, queries.NOBODY):
        posts = read(viewer)
        assert len(posts) == (2 if viewer == queries.NOBODY else 3)  # each sees their own held post
        created = posts[0][8]
        assert isinstance(created, dt.datetime) and created.tzinfo is not None
        assert isinstance(posts[0][7], PostStatus)
    held = [row for row in posts if row[7] == PostStatus.HELD]
    assert not held  # the anonymous reader does not see the held post...
    posts = read(ana)
    held = [row for row in posts if row[7] == PostStatus.HELD]
    assert held and held[0][10] == [{"code": "no_source", "message": "Source manquante."}]  # ...its author does, JSON read
    assert any(row[11] is True for row in posts) and any(row[11] is False for row in posts)  # masked, as booleans
    posts = read(bea)
    assert [row[0] for row in posts if row[13] is not None] == [posts[1][0]]  # bea's quoting post, held for her


def test_a_topic_page_beyond_its_posts_reads_the_head_alone_and_a_hidden_topic_nothing(world, topic):
    topic_id, ana, bea = topic
    with world.ctx.db.read() as session:
        found = queries.topic_page(session, topic_id, 21, 40, bea, world.ctx.post_probes)
        assert found is not None and found[2] == [] and found[0].id == topic_id and found[1].slug == "general"
        with_posts = queries.topic_page(session, topic_id, 1, 20, bea, world.ctx.post_probes)
        assert with_posts is not None and with_posts[:2] == found[:2] and [p.number for p in with_posts[2]] == [1, 2, 4]
        assert queries.topic_page(session, 10**6, 1, 20, bea, world.ctx.post_probes) is None
    with world.ctx.db.write() as session:
        session.execute(update(Topic).where(Topic.id == topic_id).values(status=PostStatus.HELD))
    with world.ctx.db.read() as session:
        assert queries.topic_page(session, topic_id, 1, 20, bea, world.ctx.post_probes) is None  # not hers
        mine = queries.topic_page(session, topic_id, 1, 20, ana, world.ctx.post_probes)
        assert mine is not None and [p.number for p in mine[2]] == [1, 3, 4]  # the author still reads her held topic


def test_topic_head_and_session_lookup_are_what_sqlalchemy_reads(world, topic):
    topic_id, ana, bea = topic
    for viewer in (ana, bea):
        params = {"topic_id": topic_id, "viewer_id": viewer}
        with world.ctx.db.read() as session:
            connection = session.connection()
            assert queries._TOPIC_FOR_VIEWER.first(connection, params) == tuple(
                connection.execute(queries._TOPIC_FOR_VIEWER.statement, params).one())
    _, token = accounts.login(world.ctx, "ana@example.org", PASSWORD, "127.0.0.1", "tests")
    params = {"token_hash": security.sha256_hex(token)}
    with world.ctx.db.connect() as connection:
        fast = accounts._SESSION_BY_HASH.first(connection, params)
        slow = tuple(connection.execute(accounts._SESSION_BY_HASH.statement, params).one())
        assert fast == slow and fast is not None
        assert accounts._SESSION_BY_HASH.first(connection, {"token_hash": "0" * 64}) is None


def test_a_driver_error_surfaces_as_sqlalchemys_own(world):
    """What the error pages catch (the 503 of a database gone): SQLAlchemy's exception, not the driver's."""
    from sqlalchemy import column, table
    from sqlalchemy.exc import SQLAlchemyError

    missing = Prepared(select(column("id")).select_from(table("no_such_table", column("id"))))
    with pytest.raises(SQLAlchemyError, match="no_such_table"):
        with world.ctx.db.connect() as connection:
            missing.rows(connection, {})


def test_datetimes_read_back_aware_and_equal_on_both_databases(world):
    """UTCDateTime parses SQLite's text in one step: the microseconds SQLAlchemy writes, and
    whole seconds (the same layout, so text comparisons in SQL still order them), read back as
    the same aware UTC instant; PostgreSQL keeps its own timestamptz conversion."""
    from sqlalchemy import text

    ana = world.member("ana")
    written = dt.datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)
    with world.ctx.db.write() as session:
        session.execute(update(Member).where(Member.id == ana).values(created_at=written))
    with world.ctx.db.read() as session:
        value = session.scalar(select(Member.created_at).where(Member.id == ana))
    assert value == written and value.utcoffset() == dt.timedelta(0)
    if not world.ctx.db.is_sqlite:
        return
    with world.ctx.db.write() as session:
        session.execute(text("UPDATE members SET created_at = :v WHERE id = :id"), {"v": "2026-03-01 09:30:15", "id": ana})
    with world.ctx.db.read() as session:
        value = session.scalar(select(Member.created_at).where(Member.id == ana))
    assert value == written.replace(microsecond=0) and value.tzinfo == dt.timezone.utc
