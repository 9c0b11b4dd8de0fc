"""The few statements every page runs, executed below SQLAlchemy's execution layer.

`Connection.execute` costs 20–60 µs a statement (the statement's cache key, an execution
context, the result's metadata): more than SQLite takes to answer the session lookup, the
topic head or the twenty posts of a topic page. A `Prepared` statement is compiled once per
dialect by SQLAlchemy and run on the DBAPI cursor of the caller's connection; its parameters
and values go through the same bind and result processors SQLAlchemy applies, so the rows
hold the same Python values (aware datetimes, enums, JSON), as plain tuples in the order of
the selected columns.

It runs inside whatever the connection is doing: the caller's transaction if one was begun
(`Database.snapshot`), none otherwise (one statement reads a consistent state on its own).
A driver error is raised as SQLAlchemy would raise it (the 503 page catches its
OperationalError), and a connection the database dropped is invalidated, as SQLAlchemy does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect


_CURSOR = "tribune.prepared_cursor"


def _cursor(connection: Connection, dbapi_connection: Any) -> Any:
    """The DBAPI connection's cursor for prepared statements, made once and kept with it (in
    the pool record's `info`, for as long as that DBAPI connection lives): building a psycopg
    cursor costs ~13 µs, and a topic page runs three statements. A connection is used by one
    thread at a time, and every statement fetches all its rows, so a kept cursor is idle
    whenever it is taken."""
    info = connection.info
    kept = info.get(_CURSOR)
    if kept is not None and kept[0] is dbapi_connection:
        return kept[1]
    cursor = dbapi_connection.cursor()
    info[_CURSOR] = (dbapi_connection, cursor)
    return cursor


def driver_error(connection: Connection, statement: str, args: Any, error: Any,
                 cursor: Any = None) -> exc.StatementError:
    """What a driver error on `connection` is raised as: SQLAlchemy's own exception (the 503
    page catches its OperationalError), and a connection the database dropped is invalidated,
    never handed out again, as SQLAlchemy does for the statements it runs."""
    gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if gone:
        connection.invalidate(error)
    return exc.DBAPIError.instance(statement, args, error, connection.dialect.loaded_dbapi.Error,
                                   connection_invalidated=gone, dialect=connection.dialect)


class _Plan(NamedTuple):
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order, or None for named styles
    fixed: dict[str, Any]  # values bound in the statement itself (literals SQLAlchemy made parameters)
    binds: Mapping[str, Callable[[Any], Any] | None]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column position, result processor), those with one


class Prepared:
    """A SELECT compiled once per dialect and run straight on the driver (see the module docstring)."""

    def __init__(self, statement: Any) -> None:  # a Select (any column types)
        self.statement = statement
        self._plans: dict[str, _Plan | None] = {}

    def _plan(self, dialect: Dialect) -> _Plan | None:
        """The statement compiled for this dialect, or None if SQLAlchemy should run it (a column
        type whose result processor needs the driver's description, e.g. Numeric on psycopg)."""
        try:
            return self._plans[dialect.name]
        except KeyError:
            pass
        try:
            compiled = self.statement.compile(dialect=dialect)
            by_name = {name: bind for bind, name in compiled.bind_names.items()}
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in by_name.items()}
            fixed = {name: bind.effective_value for name, bind in by_name.items() if not bind.required}
            results = (column.type.dialect_impl(dialect).result_processor(dialect, None)
                       for column in self.statement.selected_columns)
            processed = tuple((index, process) for index, process in enumerate(results) if process is not None)
            positional = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            plan: _Plan | None = _Plan(compiled.string, positional, fixed, binds, processed)
        except TypeError:
            plan = None
        self._plans[dialect.name] = plan
        return plan

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        plan = self._plan(connection.dialect)
        if plan is None:
            return [tuple(row) for row in connection.execute(self.statement, dict(params))]
        values = {**plan.fixed, **params}
        for name, process in plan.binds.items():
            if process is not None:
                values[name] = process(values[name])
        args: Any = [values[name] for name in plan.positional] if plan.positional is not None else values
        dbapi_connection = connection.connection.dbapi_connection
        cursor = _cursor(connection, dbapi_connection)
        try:
            cursor.execute(plan.sql, args)
            raw = cursor.fetchall()
        except connection.dialect.loaded_dbapi.Error as error:
            connection.info.pop(_CURSOR, None)
            cursor.close()
            raise driver_error(connection, plan.sql, args, error, cursor) from error
        converted = []
        processed = plan.processed
        for row in raw:
            cells = list(row)
            for index, process in processed:
                cells[index] = process(cells[index])
            converted.append(tuple(cells))
        return converted

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(connection, params)
        return found[0] if found else None
