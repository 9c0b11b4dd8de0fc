"""The database unreachable: a French page saying so, no traceback; service again once it is back."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from forum.app import create_app
from forum.context import Context
from forum.models import Member, Post
from forum.services import posting
from forum.web import SESSION_COOKIE
from tests.conftest import csrf_of, free_port, login


def test_unreachable_database_gives_a_french_503_without_traceback(world):
    world.member("lea")
    port = free_port()  # nothing listens there
    down = Context.build(dataclasses.replace(
        world.ctx.settings, database_url=f"postgresql+psycopg://tribune@127.0.0.1:{port}/absent?connect_timeout=2"))
    with TestClient(create_app(context=down), base_url="http://testserver", raise_server_exceptions=False) as client:
        client.cookies.set(SESSION_COOKIE, down.signers.sign_session("un-jeton-quelconque"))
        response = client.get("/")
    assert response.status_code == 503
    assert "La base de données ne répond pas" in response.text
    assert "Traceback" not in response.text and "psycopg" not in response.text
    # Control: the same application code on a database that answers serves the member.
    with TestClient(create_app(context=world.ctx), base_url="http://testserver", follow_redirects=False) as client:
        assert login(client, "lea@example.org").status_code == 303
        assert client.get("/").status_code == 200


class TcpProxy:
    """127.0.0.1:`port` forwarded to 127.0.0.1:`target`. `down()` stops listening and cuts every
    open connection, as when the database server goes away; `up()` listens again on the same port."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._spawn(self._accept, listener)

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [t for t in self._threads if t.is_alive()]

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._open += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_going_away_then_back_gives_french_503s_then_normal_service_without_restart(world, pg_cluster):
    lea = world.member("lea")
    with world.ctx.db.write() as session:
        topic_id = posting.create_topic(world.ctx, session, session.get(Member, lea), "general", "Sujet du jour",
                                        "Premier message.").id
    proxy = TcpProxy(pg_cluster.port)
    proxy.up()
    url = world.ctx.settings.database_url.replace(f":{pg_cluster.port}/", f":{proxy.port}/") + "?connect_timeout=2"
    through = Context.build(dataclasses.replace(world.ctx.settings, database_url=url))
    try:
        with TestClient(create_app(context=through), base_url="http://testserver", follow_redirects=False,
                        raise_server_exceptions=False) as client:
            assert login(client, "lea@example.org").status_code == 303
            page = client.get(f"/t/{topic_id}")
            assert page.status_code == 200 and "Premier message." in page.text
            token = csrf_of(page.text)

            proxy.down()
            for response in (client.get("/"), client.get(f"/t/{topic_id}"),
                             client.post(f"/t/{topic_id}/repondre", data={
                                 "csrf_token": token, "action": "publish", "quote_count": "0",
                                 "body": "Écrit pendant la panne."})):
                assert response.status_code == 503
                assert "La base de données ne répond pas" in response.text and '<html lang="fr">' in response.text
                assert "Traceback" not in response.text and "psycopg" not in response.text
                assert "OperationalError" not in response.text

            proxy.up()  # the same application object, never restarted
            home = client.get("/")
            assert home.status_code == 200 and "Lea Test" in home.text  # the session survived the outage
            after = client.post(f"/t/{topic_id}/repondre", data={
                "csrf_token": token, "action": "publish", "quote_count": "0", "body": "Écrit après le retour."})
            assert after.status_code == 303
    finally:
        through.db.dispose()
        proxy.down()
    with world.ctx.db.read() as session:
        bodies = list(session.scalars(select(Post.source).where(Post.topic_id == topic_id).order_by(Post.number)))
    assert bodies == ["Premier message.", "Écrit après le retour."]
