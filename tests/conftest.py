"""Shared fixtures: real SQLite files and a throwaway PostgreSQL cluster, a real SMTP server,
the application over HTTP, and Debian's Chromium through Playwright.

Every test that takes `ctx` (or anything built on it) runs once on SQLite and once on
PostgreSQL. A missing system part skips with its reason locally and fails under CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from forum.context import Context
from forum.db import Database, make_engine
from forum.migrate import upgrade
from forum.settings import Settings
from tests.servers import PgCluster, free_port, pg_bin, throwaway_pg_cluster

__all__ = ["PgCluster", "free_port"]  # re-exported: tests import them from here

pytest_plugins = ["tests.browser_fixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-for-the-suite-only-0123456789"
HOSTS = ("testserver", "127.0.0.1", "localhost")


def require(condition: bool, reason: str) -> None:
    """Skip with `reason` when a system part is missing; under CI=true that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true : {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Belt and braces: under CI nothing may skip, whatever the reason.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped"):
        reporter.write_line("CI=true : des tests ont été sautés, ce qui est interdit en CI.", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with small parameters: the suite hashes hundreds of passwords.

    Production parameters are restored afterwards; test_rehash_on_login checks that a
    hash made with other parameters is upgraded at the next login.
    """
    from argon2 import PasswordHasher

    from forum import security

    strong = security.password_hasher
    security.password_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security.password_hasher = strong


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    require(pg_bin() is not None, "binaires PostgreSQL introuvables (apt-get install postgresql)")
    with throwaway_pg_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    """A database migrated to head once; each test gets a copy of it."""
    admin = make_engine(pg_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE tribune_template"))
    admin.dispose()
    engine = make_engine(pg_cluster.url("tribune_template"))
    upgrade(engine)
    engine.dispose()
    return "tribune_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tribune.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    name = f"test_{next(cluster.counter)}"
    admin = make_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# --- SMTP --------------------------------------------------------------------------------


class Mailbox:
    """Messages received by the real aiosmtpd server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, to: str, timeout: float = 10.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if to in str(message["To"]):
                        return message
            time.sleep(0.05)
        raise AssertionError(f"aucun courriel reçu pour {to}")

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link(self, to: str) -> str:
        found = re.search(r"https?://\S+", self.body(self.wait_for(to)))
        assert found, "le courriel ne contient pas de lien"
        return found.group(0)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    smtp_server[0].clear()
    return smtp_server[0]


# --- application --------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, smtp_server: tuple[Mailbox, int]) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        allowed_hosts=HOSTS,
        email_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        # Tests write many posts in a second; tests/test_flood.py turns the limits on.
        seconds_between_posts=0,
        topics_per_day=0,
        edits_per_hour=0,
        notes_per_day=0,
    )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    from forum.app import wire

    context = wire(Context.build(settings, Database(settings)))
    try:
        yield context
    finally:
        context.db.dispose()


PASSWORD = "correct-horse-battery"


@dataclass
class World:
    """A small forum: two federations, a general and a debate category, members."""

    ctx: Context
    ids: dict[str, int] = field(default_factory=dict)

    def member(self, key: str, *, role: str = "member", federation: str = "paris", password: str | None = PASSWORD,
               moderates: str | None = None) -> int:
        from forum.models import Role
        from forum.services import accounts

        with self.ctx.db.write() as session:
            member = accounts.create_member(
                session, email=f"{key}@example.org", first_name=key.capitalize(), last_name="Test",
                federation=accounts.find_federation(session, federation), role=Role(role),
                moderated_federation=accounts.find_federation(session, moderates) if moderates else None,
                password=password,
            )
            self.ids[key] = member.id
            return member.id


@pytest.fixture
def world(ctx: Context) -> World:
    from forum.models import Category, Federation, ModerationPolicy

    with ctx.db.write() as session:
        session.add_all([Federation(slug="paris", name="Paris"), Federation(slug="rhone", name="Rhône")])
        session.add_all([
            Category(slug="general", name="Général", description="Tout le reste.", position=1),
            Category(slug="debat", name="Débat", description="Citations sourcées.", position=0,
                     moderation_policy=ModerationPolicy.DEBATE),
        ])
    return World(ctx)


@pytest.fixture
def app(ctx: Context):  # type: ignore[no-untyped-def]
    from forum.app import create_app

    return create_app(context=ctx)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "pas de jeton CSRF dans la page"
    return found.group(1)


def login(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/connexion")
    response = client.post("/connexion", data={"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": "/"})
    return response


def post_form(client, page_url: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """GET a page for its CSRF token, then POST the form to `action`."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={"csrf_token": csrf_of(page.text), **data})
