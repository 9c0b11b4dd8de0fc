"""full-text search: prefix indexes, the author's mark, a vocabulary table (SQLite)

The search treats the last word typed as a prefix ("démocr" finds "démocratie"). Without a
prefix index FTS5 answers that by merging, up front and whatever the LIMIT, the lists of every
word starting with it: tens of milliseconds at a million posts for a short or common stem. With
`prefix = '3 4 5 6'` a prefix of 3 to 6 characters (after folding: "démocr" is 6) is one list of
its own, read lazily like a word's (forum.search.PREFIX_LENGTHS says which lengths exist).
The price: the index is about three times larger and slower to build (~+60 s at a million posts).
A longer prefix is replaced by the words it begins, read from `post_search_vocab`, an fts5vocab
table over the index (no storage of its own): see forum.search._expansion().

A third column, `author`, holds one token: U+E000 then the author's member id. A search
filtered by author ANDs the text with those tokens, and FTS5 skips along both lists, instead of
walking every match of a common word to test its author (~30 ms at a million posts). The query
parser keeps letters and digits only, and U+E000 is neither: what a member types never matches
it; the column filter `author :` keeps a body's own U+E000 from passing for an author.

FTS5 options and columns cannot be altered: the table is dropped, created again and filled from
the posts, with the rule of migration 0005 (published, not masked, in a published topic). The
triggers that insert rows are created again with the author; the others (delete, title) name the
table in their bodies only, survive the drop and work as they are. PostgreSQL: nothing to do
(its GIN index answers prefixes, `:*`, from one index; an author filter there is a join).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

AUTHOR = "char(57344) || {}.author_id"  # U+E000 and the member id: forum.search.AUTHOR_MARK

TABLE = ("CREATE VIRTUAL TABLE post_search USING fts5(title, body, author, "
         "tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6')")
TRIGGERS = [
    f"""CREATE TRIGGER post_search_post_insert AFTER INSERT ON posts BEGIN
        INSERT INTO post_search (rowid, title, body, author)
        SELECT NEW.id, CASE WHEN NEW.number = 1 THEN topics.title ELSE '' END, NEW.source, {AUTHOR.format("NEW")}
        FROM topics
        WHERE topics.id = NEW.topic_id AND topics.status = 'published'
          AND NEW.status = 'published' AND NEW.masked_at IS NULL;
    END""",
    f"""CREATE TRIGGER post_search_post_update AFTER UPDATE OF source, status, masked_at, author_id ON posts
    WHEN OLD.source IS NOT NEW.source OR OLD.status IS NOT NEW.status OR OLD.masked_at IS NOT NEW.masked_at
      OR OLD.author_id IS NOT NEW.author_id
    BEGIN
        DELETE FROM post_search WHERE rowid = OLD.id;
        INSERT INTO post_search (rowid, title, body, author)
        SELECT NEW.id, CASE WHEN NEW.number = 1 THEN topics.title ELSE '' END, NEW.source, {AUTHOR.format("NEW")}
        FROM topics
        WHERE topics.id = NEW.topic_id AND topics.status = 'published'
          AND NEW.status = 'published' AND NEW.masked_at IS NULL;
    END""",
    f"""CREATE TRIGGER post_search_topic_status AFTER UPDATE OF status ON topics
    WHEN OLD.status IS NOT NEW.status
    BEGIN
        DELETE FROM post_search WHERE rowid IN (SELECT id FROM posts WHERE topic_id = NEW.id);
        INSERT INTO post_search (rowid, title, body, author)
        SELECT posts.id, CASE WHEN posts.number = 1 THEN NEW.title ELSE '' END, posts.source, {AUTHOR.format("posts")}
        FROM posts
        WHERE posts.topic_id = NEW.id AND NEW.status = 'published'
          AND posts.status = 'published' AND posts.masked_at IS NULL;
    END""",
]
FILL = f"""INSERT INTO post_search (rowid, title, body, author)
    SELECT posts.id, CASE WHEN posts.number = 1 THEN topics.title ELSE '' END, posts.source, {AUTHOR.format("posts")}
    FROM posts JOIN topics ON topics.id = posts.topic_id
    WHERE topics.status = 'published' AND posts.status = 'published' AND posts.masked_at IS NULL"""

# Migration 0005's table and triggers, for the way down.
TABLE_0005 = "CREATE VIRTUAL TABLE post_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
TRIGGERS_0005 = [
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
]
FILL_0005 = """INSERT INTO post_search (rowid, title, body)
    SELECT posts.id, CASE WHEN posts.number = 1 THEN topics.title ELSE '' END, posts.source
    FROM posts JOIN topics ON topics.id = posts.topic_id
    WHERE topics.status = 'published' AND posts.status = 'published' AND posts.masked_at IS NULL"""
REBUILT_TRIGGERS = ("post_search_post_insert", "post_search_post_update", "post_search_topic_status")


def _rebuild(table: str, triggers: list[str], fill: str) -> None:
    for name in REBUILT_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE post_search")
    op.execute(table)
    for trigger in triggers:
        op.execute(trigger)
    op.execute(fill)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(TABLE, TRIGGERS, FILL)
    op.execute("CREATE VIRTUAL TABLE post_search_vocab USING fts5vocab(post_search, 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE post_search_vocab")
    _rebuild(TABLE_0005, TRIGGERS_0005, FILL_0005)
