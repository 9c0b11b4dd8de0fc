"""forum/db.py on PostgreSQL: reads in autocommit, writes in transactions, a pooled connection
the server dropped is replaced before use, text searches are never prepared."""

from __future__ import annotations

import dataclasses
import socket
import struct
import threading

import pytest
from starlette.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from forum.app import create_app
from forum.context import Context
from forum.models import Member
from forum.services import posting
from tests.conftest import free_port, login

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


class _Pair:
    def __init__(self, client, upstream):
        self.client, self.upstream, self.dead = client, upstream, False


class _ForgetfulProxy:
    """Between the app and PostgreSQL, like a load balancer or NAT whose idle timeout forgets a
    connection without telling the app: the next packet the app sends gets a reset."""

    def __init__(self, target):
        self.target, self.port, self.pairs = target, free_port(), []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            pair = _Pair(client, upstream)
            self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, upstream, client), daemon=True).start()

    def _pump(self, pair, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if pair.dead:
                if src is pair.client and data:  # the app wrote on a connection the middlebox forgot: RST
                    src.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    src.close()
                return
            if not data:
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def forget_idle_connections(self):
        """What an LB/NAT idle timeout does: the server side goes, the app's side hears nothing."""
        for pair in self.pairs:
            pair.dead = True
            try:
                pair.upstream.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_a_connection_a_middlebox_forgot_is_replaced_without_an_error(ctx, world, pg_cluster, monkeypatch):
    """Nothing arrives on such a socket, so the poll finds nothing: a connection idle for a while
    is pinged for real before use (here "a while" is shortened to nothing)."""
    import forum.db

    monkeypatch.setattr(forum.db, "IDLE_PING_SECONDS", 0.0)
    lea = world.member("lea")
    with ctx.db.write() as session:
        topic_id = posting.create_topic(ctx, session, session.get(Member, lea), "general", "Sujet du jour",
                                        "Premier message.").id
    proxy = _ForgetfulProxy(pg_cluster.port)
    url = ctx.settings.database_url.replace(f":{pg_cluster.port}/", f":{proxy.port}/")
    through = Context.build(dataclasses.replace(ctx.settings, database_url=url))
    try:
        with TestClient(create_app(context=through), base_url="http://testserver", follow_redirects=False,
                        raise_server_exceptions=False) as client:
            assert login(client, "lea@example.org").status_code == 303
            assert client.get(f"/t/{topic_id}").status_code == 200
            proxy.forget_idle_connections()
            page = client.get(f"/t/{topic_id}")
            assert page.status_code == 200, page.text[:300]
    finally:
        through.db.dispose()
