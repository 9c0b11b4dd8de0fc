"""Migrations are the schema: head matches the models, and the chain goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import moderation.models  # noqa: F401  (registers the moderation tables)
from forum.db import make_engine
from forum.migrate import alembic_config, upgrade
from forum.models import Base
from forum.search import include_name


def test_head_matches_the_models(settings):
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(settings):
    engine = make_engine(settings.database_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        with engine.connect() as conn:
            tables = set(engine.dialect.get_table_names(conn))
        assert tables <= {"alembic_version"}
        upgrade(engine)
        with engine.connect() as conn:
            assert "posts" in set(engine.dialect.get_table_names(conn))
    finally:
        engine.dispose()
