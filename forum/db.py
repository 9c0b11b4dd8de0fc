"""Engine, session factory and transaction helpers.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts
with BEGIN IMMEDIATE: the write lock is taken up front, so two writers queue on
the busy timeout instead of failing later with "database is locked" when a
reader tries to upgrade.

PostgreSQL reads run in autocommit: no BEGIN before them, no ROLLBACK after them
(two round trips per read saved). At PostgreSQL's READ COMMITTED level each statement
already takes its own snapshot inside a transaction too, so a read sees exactly what it
saw in one. Writes keep their transaction (BEGIN ... COMMIT). Since reads never roll
back, psycopg keeps its prepared statements (it drops them all on every ROLLBACK), so
the hot statements are prepared on each connection after a few executions.

A pooled PostgreSQL connection is checked without a round trip when it leaves the pool:
a connection the server closed (restart, administrator, network cut) has its socket
readable (the server's goodbye or EOF), a healthy idle one has nothing to read. Only then
is it pinged for real, and if that fails the whole pool is dropped, as `pool_pre_ping`
did, so service resumes once the database is back.

psycopg prepares a statement on a connection after a few executions, and PostgreSQL may then
keep one generic plan for it. Statements that match text (full-text `@@`, LIKE) are never
prepared: their best plan depends on the searched words (the GIN index for a rare word,
walking the primary key for a common one), which a generic plan cannot know.
"""

from __future__ import annotations

import functools
import logging
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import asbool

from forum.prepared import driver_error
from forum.settings import Settings

_log = logging.getLogger("tribune.db")

_IMMEDIATE = "tribune_immediate"
_SNAPSHOT = "tribune_snapshot"  # in a DBAPI connection's info while Database.snapshot holds it (SQLite)
_SINGLE = "tribune_single_statement"
_AFTER_COMMIT = "tribune_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` after the session's transaction commits (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL: `sqlite:///PATH`, or SQLite's URI form `sqlite:///file:PATH?...&uri=true`;
    None for an in-memory database."""
    url = make_url(database_url)
    path = url.database or ""
    if asbool(url.query.get("uri", False)):
        if not path.startswith("file:") or "mode=memory" in str(url):
            return None
        path = unquote(path.removeprefix("file:").removeprefix("//"))
    return Path(path) if path and path != ":memory:" else None


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create the engine for a SQLite file or a PostgreSQL database."""
    if database_url.startswith("sqlite"):
        path = sqlite_file(database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
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
    engine = create_engine(database_url, pool_size=10, max_overflow=20, **kwargs)
    _configure_postgresql(engine)
    return engine


_IDLE_SINCE = "tribune_idle_since"
IDLE_PING_SECONDS = 10.0  # a pooled PostgreSQL connection idle longer than this is pinged before use


def _configure_postgresql(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # psycopg's own cursor, unless someone set another one.
        factory, cursor_class = getattr(dbapi_connection, "cursor_factory", None), _cursor_class()
        if isinstance(factory, type) and issubclass(cursor_class, factory):
            dbapi_connection.cursor_factory = cursor_class

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # What pool_pre_ping did, without its round trip for a connection that is fine: one in
        # use a moment ago, with nothing waiting on its socket. One idle for longer is pinged
        # for real: a load balancer or a NAT may have forgotten it without a word, and only a
        # packet sent finds out.
        idle_since = record.info.get(_IDLE_SINCE)
        quiet_for = time.monotonic() - idle_since if idle_since is not None else 0.0
        if quiet_for < IDLE_PING_SECONDS and not _maybe_gone(dbapi_connection):
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            raise exc.InvalidatePoolError()  # the pool reconnects; if it cannot, the request fails


def _maybe_gone(dbapi_connection: Any) -> bool:
    """True when an idle psycopg connection may be dead: closed on our side, or something
    (the server's termination message, EOF, an error) waits on its socket."""
    try:
        if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
            return True
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode not in ("wal", "memory"):
            _warn_without_wal(engine.url.database or "", mode)
        # NORMAL is safe from corruption in WAL mode only; with a rollback journal, FULL.
        cursor.execute("PRAGMA synchronous=NORMAL" if mode == "wal" else "PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_SINGLE, False):
            return  # one statement reads a consistent state on its own: no BEGIN to pay for
        if connection.info.get(_SNAPSHOT, False):
            return  # inside a snapshot's read transaction, begun on the driver (Database.snapshot)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_IMMEDIATE, False) else "BEGIN")


@functools.cache
def _warn_without_wal(path: str, mode: str) -> None:
    """Say once per database file that SQLite refused WAL (a read-only file, a network
    filesystem without shared memory): Tribune still runs, but readers and the writer then
    wait on each other, and "database is locked" waits get longer under load."""
    _log.warning(
        "SQLite database %s is in journal mode %r, not WAL: readers and writers will block "
        "each other; move the file to a local filesystem Tribune can write to", path, mode)


@functools.lru_cache(maxsize=1024)
def _planned_per_value(query: str | bytes) -> bool:
    """Whether the plan of a statement depends on the text it searches (see the docstring)."""
    text = query.decode(errors="replace") if isinstance(query, bytes) else query
    return "@@" in text or "LIKE " in text


@functools.cache
def _cursor_class() -> type:
    import psycopg

    class Cursor(psycopg.Cursor[Any]):
        """psycopg's cursor, except that text searches are planned for each execution."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            if prepare is None and isinstance(query, (str, bytes)) and _planned_per_value(query):
                prepare = False
            return super().execute(query, params, prepare=prepare, binary=binary)

    return Cursor


def _sqlite_read_transaction(connection: Connection) -> Iterator[Connection]:
    """One SQLite read transaction for the block, begun and ended on the driver: SQLAlchemy's
    begin() and its event cost ~20 µs a page view. Ended here whatever the block did, not left
    to the pool's reset (an engine option can turn that off). While it is open, a statement
    that makes SQLAlchemy begin a transaction of its own sends no second BEGIN (_on_begin)."""
    raw = connection.connection.dbapi_connection
    info = connection.info
    try:
        raw.execute("BEGIN")  # type: ignore[union-attr]
    except connection.dialect.loaded_dbapi.Error as error:
        raise driver_error(connection, "BEGIN", None, error) from error
    info[_SNAPSHOT] = True
    try:
        yield connection
    finally:
        info.pop(_SNAPSHOT, None)
        try:
            if raw.in_transaction:  # type: ignore[union-attr]
                raw.rollback()  # type: ignore[union-attr]
        except connection.dialect.loaded_dbapi.Error:
            connection.invalidate()  # never hand out a connection whose state is unknown


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


def core(db: Session | Connection) -> Connection:
    """The Core connection to run a statement on: a session's, or the connection itself
    (the reads of a topic page take either, see `Database.snapshot`)."""
    return db if isinstance(db, Connection) else db.connection()


def _read_only(session: Session, _context: Any, _instances: Any) -> None:
    # A read session runs in autocommit on PostgreSQL: a flush there would be saved at once.
    raise RuntimeError("écriture dans une session de lecture : utiliser Database.write()")


class Database:
    """The application's database: one engine, a reader and a writer session factory."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(**{_IMMEDIATE: True}) if self.is_sqlite else self.engine
        self._single = self.engine.execution_options(**{_SINGLE: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = sessionmaker(writer, expire_on_commit=False, autoflush=False)
        if not self.is_sqlite:
            event.listen(self._read, "before_flush", _read_only)
        # SQLite: the writers of this process queue here, in turn, for the one write lock. Left
        # to SQLite's busy handler, they would sleep in growing steps (up to 100 ms) and a late
        # writer could pass an early one: measured, 32 members posting at once saw p99 2 s.
        # Writers of other processes still meet at BEGIN IMMEDIATE and the busy timeout.
        self._writers: AbstractContextManager[Any] = threading.RLock() if self.is_sqlite else nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads. Closing it ends its transaction without expiring the loaded
        objects, so pages can use them after the block. On PostgreSQL it runs in autocommit
        (see the module's docstring) and refuses to flush."""
        if self.is_sqlite:
            session = self._read()
            try:
                yield session
            finally:
                session.close()
            return
        with self._autocommit() as connection:
            session = self._read(bind=connection)
            try:
                yield session
            finally:
                session.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for a read of ONE statement, cheaper than a session: it opens no
        transaction (a single statement is atomic; on PostgreSQL it runs in autocommit like
        every read), so on SQLite a second statement would not see the same state as the first."""
        if self.is_sqlite:
            with self._single.connect() as connection:
                yield connection
            return
        with self._autocommit() as connection:
            yield connection

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A Core connection for several reads that must agree (a topic and its posts), cheaper
        than a session. On SQLite one read transaction (BEGIN … ROLLBACK): every statement sees
        the same state. On PostgreSQL autocommit, like every read: at READ COMMITTED each
        statement takes its own snapshot, in a transaction or not."""
        if self.is_sqlite:
            with self.engine.connect() as connection:
                yield from _sqlite_read_transaction(connection)
            return
        with self._autocommit() as connection:
            yield connection

    @contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        """A PostgreSQL connection in autocommit for the block, back to transactions before it
        returns to the pool. Set on psycopg's connection directly: SQLAlchemy's
        `isolation_level="AUTOCOMMIT"` option does the same through engine events that cost
        ~35 µs a checkout."""
        with self.engine.connect() as connection:
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.autocommit = True  # type: ignore[union-attr]
            try:
                yield connection
            finally:
                try:
                    if not dbapi_connection.closed:  # type: ignore[union-attr]
                        dbapi_connection.autocommit = False  # type: ignore[union-attr]
                except Exception:
                    connection.invalidate()  # never hand an autocommit connection to a writer

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on error.

        Callbacks queued with `after_commit(session, fn)` run once the commit succeeded
        (emails about a decision leave only when the decision is saved).
        """
        with self._writers:
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
