"""The database unreachable: a French page saying so, no traceback."""

from __future__ import annotations

import dataclasses

from starlette.testclient import TestClient

from forum.app import create_app
from forum.context import Context
from forum.web import SESSION_COOKIE
from tests.conftest import free_port, login


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
