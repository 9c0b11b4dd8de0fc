"""Alembic environment: the URL comes from Tribune's settings (or the caller's connection)."""

from __future__ import annotations

from alembic import context

import moderation.models  # noqa: F401  (registers the moderation tables)
from forum.models import Base
from forum.search import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from forum.db import make_engine
        from forum.settings import Settings

        url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
        engine = make_engine(url)
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The full-text index (migration 0005) lives outside the models: never "drop" it.
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Tribune ne génère pas de SQL hors ligne : lancez « python -m forum migrate ».")
run_migrations_online()
