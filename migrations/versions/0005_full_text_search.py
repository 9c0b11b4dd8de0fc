"""full-text search of published posts and topic titles (French)

SQLite: an FTS5 table, `post_search` (title, body), tokenizer `unicode61 remove_diacritics 2`,
one row per post that every member may read (rowid = posts.id; the topic's title only on its
first post). Triggers on posts and topics keep it in the writing transaction, whatever writes:
services, moderation decisions, seed bulk inserts.

PostgreSQL: STORED generated tsvector columns, posts.search_vector (source) and
topics.search_vector (title), with GIN indexes, in the text search configuration
`tribune_french`: `french` (stemming, stop words) behind `unaccent`, because `french` alone keeps
accents ("election" would not find "élection"). Visibility is filtered at query time.

None of these objects is in the SQLAlchemy models: forum.search.include_name()
keeps autogenerate from reporting them. Beware on SQLite: a later batch migration that
recreates `posts` or `topics` (move and copy) drops their triggers; drop the search triggers
before it and create them again after.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# --- SQLite -------------------------------------------------------------------------------

# A post is in the index when a member who is not its author may read it (see forum.queries):
# published, not masked, in a published topic.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE post_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')",
    # Posts: a new post, an edit, a status change (held, published, hidden, rejected...), a mask.
    """CREATE TRIGGER post_search_post_insert AFTER INSERT ON posts BEGIN
        INSERT INTO post_search (rowid, title, body)
        SELECT NEW.id, CASE WHEN NEW.number = 1 THEN topics.title ELSE '' END, NEW.source
        FROM topics
        WHERE topics.id = NEW.topic_id AND topics.status = 'published'
          AND NEW.status = 'published' AND NEW.masked_at IS NULL;
    END""",
    """CREATE TRIGGER post_search_post_update AFTER UPDATE OF source, status, masked_at ON posts
    WHEN OLD.source IS NOT NEW.source OR OLD.status IS NOT NEW.status OR OLD.masked_at IS NOT NEW.masked_at
    BEGIN
        DELETE FROM post_search WHERE rowid = OLD.id;
        INSERT INTO post_search (rowid, title, body)
        SELECT NEW.id, CASE WHEN NEW.number = 1 THEN topics.title ELSE '' END, NEW.source
        FROM topics
        WHERE topics.id = NEW.topic_id AND topics.status = 'published'
          AND NEW.status = 'published' AND NEW.masked_at IS NULL;
    END""",
    """CREATE TRIGGER post_search_post_delete AFTER DELETE ON posts BEGIN
        DELETE FROM post_search WHERE rowid = OLD.id;
    END""",
    # Topics: a new title goes to the first post's row; a status change shows or hides every post.
    """CREATE TRIGGER post_search_topic_title AFTER UPDATE OF title ON topics
    WHEN OLD.title IS NOT NEW.title
    BEGIN
        UPDATE post_search SET title = NEW.title
        WHERE rowid = (SELECT id FROM posts WHERE topic_id = NEW.id AND number = 1);
    END""",
    """CREATE TRIGGER post_search_topic_status AFTER UPDATE OF status ON topics
    WHEN OLD.status IS NOT NEW.status
    BEGIN
        DELETE FROM post_search WHERE rowid IN (SELECT id FROM posts WHERE topic_id = NEW.id);
        INSERT INTO post_search (rowid, title, body)
        SELECT posts.id, CASE WHEN posts.number = 1 THEN NEW.title ELSE '' END, posts.source
        FROM posts
        WHERE posts.topic_id = NEW.id AND NEW.status = 'published'
          AND posts.status = 'published' AND posts.masked_at IS NULL;
    END""",
    # The posts already there.
    """INSERT INTO post_search (rowid, title, body)
    SELECT posts.id, CASE WHEN posts.number = 1 THEN topics.title ELSE '' END, posts.source
    FROM posts JOIN topics ON topics.id = posts.topic_id
    WHERE topics.status = 'published' AND posts.status = 'published' AND posts.masked_at IS NULL""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS post_search_topic_status",
    "DROP TRIGGER IF EXISTS post_search_topic_title",
    "DROP TRIGGER IF EXISTS post_search_post_delete",
    "DROP TRIGGER IF EXISTS post_search_post_update",
    "DROP TRIGGER IF EXISTS post_search_post_insert",
    "DROP TABLE IF EXISTS post_search",
]

# --- PostgreSQL ---------------------------------------------------------------------------

POSTGRESQL_UP = [
    # A trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION tribune_french (COPY = pg_catalog.french)",
    "ALTER TEXT SEARCH CONFIGURATION tribune_french "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
    # Generated columns (rather than expression indexes): ranking and GIN rechecks read the
    # stored vector instead of parsing the Markdown again for every match.
    "ALTER TABLE posts ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('tribune_french'::regconfig, source)) STORED",
    "ALTER TABLE topics ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('tribune_french'::regconfig, title)) STORED",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
    "CREATE INDEX ix_topics_search_vector ON topics USING gin (search_vector)",
]

POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_topics_search_vector",
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE topics DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS tribune_french",
    # The unaccent extension stays: other objects of the database may use it.
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    raise NotImplementedError(f"Tribune ne connaît pas la recherche plein texte pour {dialect}")


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
