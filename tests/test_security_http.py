"""Headers, error pages, body limits, trusted hosts, and the route table's protections."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route

from forum.app import ROUTES
from tests.conftest import csrf_of, login


def test_security_headers_on_every_page(client, world):
    world.member("lea")
    anonymous = client.get("/connexion")
    login(client, "lea@example.org")
    member_page = client.get("/")
    for response in (anonymous, member_page):
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert member_page.headers["cache-control"] == "no-store"
    nonce1 = re.search(r"'nonce-([^']+)'", anonymous.headers["content-security-policy"]).group(1)
    nonce2 = re.search(r"'nonce-([^']+)'", member_page.headers["content-security-policy"]).group(1)
    assert nonce1 != nonce2


def test_unknown_host_is_refused(client, world):
    response = client.get("/connexion", headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_oversized_body_is_refused_with_413(client, world):
    world.member("lea")
    login(client, "lea@example.org")
    token = csrf_of(client.get("/c/general/nouveau").text)
    big = "x" * (world.ctx.settings.max_body_bytes + 10)
    response = client.post("/c/general/nouveau", data={"csrf_token": token, "title": "Gros envoi", "body": big})
    assert response.status_code == 413
    assert "trop volumineux" in response.text


def test_server_error_page_is_french_without_traceback(ctx, world):
    from starlette.testclient import TestClient

    from forum.app import create_app

    app = create_app(context=ctx)

    async def boom(request):
        raise RuntimeError("secret internal detail")

    app.router.routes.insert(0, Route("/boom", boom))
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Erreur du serveur" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


def test_405_is_french(client, world):
    response = client.get("/deconnexion")
    assert response.status_code == 405 and "Méthode non autorisée" in response.text


UNSAFE = [r for r in ROUTES if isinstance(r, Route) and "POST" in (r.methods or set())]


def _url(route: Route) -> str:
    return re.sub(r"\{[^}:]+:(?:int|id)\}", "1", re.sub(r"\{[^}:]+:str\}", "x", route.path))


@pytest.mark.parametrize("route", UNSAFE, ids=lambda r: r.name)
def test_every_unsafe_route_requires_a_csrf_token(client, world, route):
    world.member("lea")
    login(client, "lea@example.org")
    response = client.post(_url(route), data={"body": "x", "title": "titre"})
    assert response.status_code == 403, route.path


PUBLIC = {"login", "invitation", "forgot_password", "reset_password"}


def test_route_table_marks_public_pages_explicitly():
    public = {r.name for r in ROUTES if isinstance(r, Route) and getattr(r.endpoint, "public", False)}
    assert public == PUBLIC


@pytest.mark.parametrize("route", [r for r in ROUTES if isinstance(r, Route) and r.name not in PUBLIC], ids=lambda r: r.name)
def test_every_member_page_sends_anonymous_visitors_to_login(client, world, route):
    method = "GET" if "GET" in (route.methods or set()) else "POST"
    if method == "POST":
        token = csrf_of(client.get("/connexion").text)
        response = client.post(_url(route), data={"csrf_token": token})
    else:
        response = client.get(_url(route))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")


def test_a_tampered_variant_of_a_valid_session_cookie_is_not_remembered(client, world):
    from forum.web import SESSION_COOKIE

    world.member("lea")
    login(client, "lea@example.org")
    signers = client.app.state.ctx.signers
    cookie = client.cookies.get(SESSION_COOKIE)
    value, _, signature = cookie.rpartition(".")
    # base64 decoding skips characters outside its alphabet: the variant still verifies...
    variant = f"{value}.{signature[:1]}****{signature[1:]}"
    assert signers.unsign_session(variant) == signers.unsign_session(cookie)
    # ...but only the cookie Tribune set takes a place in the table of verified cookies.
    assert cookie in signers._verified_cookies and variant not in signers._verified_cookies


def test_the_session_member_is_built_from_every_mapped_column():
    """load_session builds the member from the table's columns: each must be a mapped attribute
    of the same name, or members would come back with attributes missing."""
    from sqlalchemy import inspect

    from forum.models import Member
    from forum.services.accounts import _MEMBER_KEYS

    assert {attr.key for attr in inspect(Member).column_attrs} == set(_MEMBER_KEYS)
