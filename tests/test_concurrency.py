"""Concurrent writers: 8 threads x 50 posts, no "database is locked", no lost or duplicated number."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from forum.models import Member, Post, Topic
from forum.services import posting


def test_eight_threads_posting_fifty_replies_each(world):
    ctx = world.ctx
    member_ids = [world.member(f"writer{i}") for i in range(8)]
    with ctx.db.write() as session:
        author = session.get(Member, member_ids[0])
        topic_id = posting.create_topic(ctx, session, author, "general", "Sujet très fréquenté", "Ouverture").id
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(member_id: int) -> None:
        try:
            with ctx.db.read() as session:
                member = session.get(Member, member_id)
            start.wait()
            for n in range(50):
                with ctx.db.write() as session:
                    posting.reply(ctx, session, member, topic_id, f"Réponse {n} de {member_id}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(m,)) for m in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 401
        numbers = list(session.scalars(select(Post.number).where(Post.topic_id == topic_id).order_by(Post.number)))
        assert numbers == list(range(1, 402))
        assert session.get(Topic, topic_id).post_count == 401


def test_a_sqlite_file_runs_in_wal_and_a_refusal_is_said_once(tmp_path, caplog):
    from forum.db import make_engine

    wal = make_engine(f"sqlite:///{tmp_path / 'a' / 'forum.db'}")
    with wal.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL: safe in WAL
    wal.dispose()
    assert "journal mode" not in caplog.text

    # A VFS without shared memory cannot run WAL: SQLite keeps its rollback journal.
    path = tmp_path / "b" / "forum.db"
    refused = make_engine(f"sqlite:///file:{path}?vfs=unix-dotfile&uri=true")
    with caplog.at_level("WARNING", logger="tribune.db"):
        for _ in range(3):
            with refused.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL with a rollback journal
            refused.pool.dispose()  # a new DBAPI connection each time
    refused.dispose()
    assert path.exists()  # the URI form's directory was made, and nothing named "file:"
    warnings = [r for r in caplog.records if r.name == "tribune.db"]
    assert len(warnings) == 1 and "not WAL" in warnings[0].getMessage() and str(path) in warnings[0].getMessage()


def test_a_snapshot_reads_one_state_and_leaves_no_transaction_behind(world):
    """Database.snapshot: on SQLite one read transaction (BEGIN sent on the driver) that a
    concurrent writer does not disturb, ended when the connection goes back to the pool,
    whether SQLAlchemy began a transaction of its own inside it or not; on PostgreSQL each
    statement sees what is committed when it runs."""
    from sqlalchemy import text

    from forum.queries import category_page

    ctx = world.ctx
    author = world.member("ana")
    count = text("SELECT count(*) FROM topics")
    for through_sqlalchemy in (True, False):
        with ctx.db.snapshot() as connection:
            raw = connection.connection.dbapi_connection
            before = connection.execute(count).scalar() if through_sqlalchemy else raw.execute(count.text).fetchone()[0]
            assert category_page(connection, "general") is not None  # a Prepared statement on it
            with ctx.db.write() as session:  # another connection writes meanwhile
                posting.create_topic(ctx, session, session.get(Member, author), "general", "Écrit pendant", "Texte")
            after = connection.execute(count).scalar() if through_sqlalchemy else raw.execute(count.text).fetchone()[0]
            assert after == (before if ctx.db.is_sqlite else before + 1)
        if ctx.db.is_sqlite:
            assert raw.in_transaction is False  # no read transaction left on the pooled connection
    try:
        with ctx.db.snapshot() as connection:
            raw = connection.connection.dbapi_connection
            connection.execute(count)
            raise LookupError("a page that fails halfway")
    except LookupError:
        pass
    if ctx.db.is_sqlite:
        assert raw.in_transaction is False  # nor when the block ends in an error
    with ctx.db.write() as session:
        session.connection()  # the transaction begins
        if ctx.db.is_sqlite:  # the writer after them took the write lock up front (BEGIN IMMEDIATE), as ever
            import sqlite3

            from forum.db import sqlite_file

            other = sqlite3.connect(sqlite_file(ctx.settings.database_url), timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        posting.create_topic(ctx, session, session.get(Member, author), "general", "Écrit après", "Texte")
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Topic)) == 3
