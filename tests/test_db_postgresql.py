"""forum/db.py on PostgreSQL: reads in autocommit, writes in transactions, a pooled connection
the server dropped is replaced before use, text searches are never prepared."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from forum.models import Member
from forum.services import posting

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_reads_run_without_transaction_and_give_the_connection_back_transactional(ctx):
    with ctx.db.connect() as connection:
        assert connection.connection.dbapi_connection.autocommit is True
        # No BEGIN was sent before it: the statement is its own transaction.
        assert connection.execute(text("SELECT now() = statement_timestamp()")).scalar() is True
        assert connection.connection.dbapi_connection.info.transaction_status.name == "IDLE"
    with ctx.db.read() as session:
        assert session.connection().connection.dbapi_connection.autocommit is True
    with ctx.db.write() as session:
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi.autocommit is False
        session.execute(text("SELECT 1"))
        assert dbapi.info.transaction_status.name == "INTRANS"
        assert session.execute(text("SELECT now() = statement_timestamp()")).scalar() is False


def test_a_read_session_refuses_to_write(ctx, world):
    lea = world.member("lea")
    with pytest.raises(RuntimeError), ctx.db.read() as session:
        member = session.get(Member, lea)
        member.first_name = "Autre"
        session.flush()
    with ctx.db.read() as session:
        assert session.get(Member, lea).first_name != "Autre"


def test_a_failed_write_is_rolled_back(ctx, world):
    lea = world.member("lea")
    with pytest.raises(ZeroDivisionError), ctx.db.write() as session:
        session.get(Member, lea).first_name = "Autre"
        session.flush()
        1 / 0  # noqa: B018
    with ctx.db.read() as session:
        assert session.get(Member, lea).first_name != "Autre"


def test_a_pooled_connection_the_server_terminated_is_replaced_without_an_error(ctx, world):
    lea = world.member("lea")
    with ctx.db.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(ctx.settings.database_url, poolclass=NullPool)
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    admin.dispose()
    # The pooled connection is dead; the next read and the next write get a live one.
    with ctx.db.read() as session:
        assert session.scalar(select(Member.id).where(Member.id == lea)) == lea
    with ctx.db.write() as session:
        topic = posting.create_topic(ctx, session, session.get(Member, lea), "general", "Après coupure", "Texte.")
    with ctx.db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM topics WHERE id = :id"), {"id": topic.id}).scalar() == 1


def test_hot_statements_are_prepared_and_text_searches_are_not(ctx):
    with ctx.db.connect() as connection:
        dbapi = connection.connection.dbapi_connection
        for _ in range(8):
            connection.execute(text("SELECT id FROM members WHERE id = :id"), {"id": 1}).all()
            connection.execute(text("SELECT id FROM members WHERE email LIKE :p"), {"p": "x%"}).all()
        prepared = {row[0] for row in connection.execute(text("SELECT statement FROM pg_prepared_statements"))}
    assert any("WHERE id =" in statement for statement in prepared)
    assert not any("LIKE" in statement for statement in prepared)
    assert dbapi.prepare_threshold is not None
