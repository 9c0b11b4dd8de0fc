"""Engine, session factory and transaction helpers.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts
with BEGIN IMMEDIATE: the write lock is taken up front, so two writers queue on
the busy timeout instead of failing later with "database is locked" when a
reader tries to upgrade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from forum.settings import Settings

_IMMEDIATE = "tribune_immediate"
_SINGLE = "tribune_single_statement"
_AFTER_COMMIT = "tribune_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` after the session's transaction commits (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create the engine for a SQLite file or a PostgreSQL database."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=8,
            max_overflow=16,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return create_engine(database_url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_SINGLE, False):
            return  # one statement reads a consistent state on its own: no BEGIN to pay for
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_IMMEDIATE, False) else "BEGIN")


class ByIds:
    """A statement over a list of ids, `column IN (:id0, ..., :idN)` with a fixed number of
    parameters per size class (8, 16, 32, ...), the rest padded with -1, which no row has.

    SQLAlchemy rewrites an expanding IN on every call; this builds each size class once, so
    the hot pages run a statement compiled in advance.
    """

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self._build = build
        self._statements: dict[int, Any] = {}

    def __call__(self, ids: Sequence[int]) -> tuple[Any, dict[str, int]]:
        size = max(8, 1 << max(len(ids) - 1, 0).bit_length())
        statement = self._statements.get(size)
        if statement is None:
            statement = self._build([bindparam(f"id{i}") for i in range(size)])
            self._statements[size] = statement
        params = {f"id{i}": ids[i] if i < len(ids) else -1 for i in range(size)}
        return statement, params


def pairs(rows: Any) -> dict[Any, Any]:
    """A dict from two-column result rows (id -> value)."""
    return {key: value for key, value in rows}


class Database:
    """The application's database: one engine, a reader and a writer session factory."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(**{_IMMEDIATE: True}) if self.is_sqlite else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = sessionmaker(writer, expire_on_commit=False, autoflush=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads. Closing it ends its transaction without expiring the loaded
        objects, so pages can use them after the block."""
        session = self._read()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for a read of ONE statement, cheaper than a session: on SQLite it
        opens no transaction (a single statement is atomic), so a second statement would not
        see the same state as the first."""
        with self.engine.connect() as connection:
            connection.execution_options(**{_SINGLE: True})
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on error.

        Callbacks queued with `after_commit(session, fn)` run once the commit succeeded
        (emails about a decision leave only when the decision is saved).
        """
        session = self._write()
        try:
            with session.begin():
                yield session
            callbacks = session.info.pop(_AFTER_COMMIT, [])
        finally:
            session.close()
        for callback in callbacks:
            callback()

    def dispose(self) -> None:
        self.engine.dispose()
