"""members' names: trigram indexes for the search's author filter (PostgreSQL)

The search's author filter finds the members whose first or last name holds each word typed
(`ILIKE '%word%'`, forum.search._authors). Without an index PostgreSQL reads every member: 25 ms
at 50 000 members, on every filtered search. pg_trgm's GIN indexes answer a word of three
letters or more from the index (0.3 ms for "Théo Fortin", 0.6 ms for "Martin" and its 582
members); a shorter word still reads every member, as before. pg_trgm ships with PostgreSQL
(contrib, like unaccent in 0005) and is a trusted extension: the database's owner may create it.

SQLite: nothing to do (its LIKE has no such index; the scan costs ~5 ms there).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = {"ix_members_first_name_trgm": "first_name", "ix_members_last_name_trgm": "last_name"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON members USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    # The extension stays: another schema object may use it by now, and it costs nothing idle.
