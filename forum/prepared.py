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
If the driver raises, the statement is run again through SQLAlchemy, which raises its own
exception (the 503 page catches it) and invalidates a connection the database dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect


class _Plan(NamedTuple):
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order, or None for named styles
    fixed: dict[str, Any]  # values bound in the statement itself (literals SQLAlchemy made parameters)
    binds: Mapping[str, Callable[[Any], Any] | None]
    results: tuple[Callable[[Any], Any] | None, ...]


class Prepared:
    """A SELECT compiled once per dialect and run straight on the driver (see the module docstring)."""

    def __init__(self, statement: Any) -> None:  # a Select (any column types)
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect)
            by_name = {name: bind for bind, name in compiled.bind_names.items()}
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in by_name.items()}
            fixed = {name: bind.effective_value for name, bind in by_name.items() if not bind.required}
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
            positional = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            plan = _Plan(compiled.string, positional, fixed, binds, results)
            self._plans[dialect.name] = plan
        return plan

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        plan = self._plan(connection.dialect)
        values = {**plan.fixed, **params}
        for name, process in plan.binds.items():
            if process is not None:
                values[name] = process(values[name])
        args: Any = [values[name] for name in plan.positional] if plan.positional is not None else values
        try:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(plan.sql, args)
                raw = cursor.fetchall()
            finally:
                cursor.close()
        except Exception:
            # Let SQLAlchemy run it and raise (or, if the connection came back, answer).
            return [tuple(row) for row in connection.execute(self.statement, dict(params))]
        results = plan.results
        if not any(results):
            return [tuple(row) for row in raw]
        return [tuple([value if process is None else process(value) for process, value in zip(results, row)])
                for row in raw]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(connection, params)
        return found[0] if found else None
