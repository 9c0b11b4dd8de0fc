"""Named read queries: each loads exactly what its page shows, no lazy loading."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (BindParameter, ColumnElement, Connection, Executable, and_, bindparam, case, func, null, or_,
                        select, type_coerce, union_all)
from sqlalchemy.orm import Session

from forum.charts import BarChart, month_label
from forum.db import ByIds, core
from forum.prepared import Prepared
from forum.models import (
    Attachment,
    Category,
    Federation,
    Member,
    Post,
    PostRevision,
    PostStatus,
    Quote,
    QuoteReply,
    Topic,
)


@dataclass(frozen=True)
class TopicRow:
    id: int
    title: str
    author_name: str
    post_count: int
    created_at: dt.datetime
    last_post_at: dt.datetime
    locked: bool


class Finding(NamedTuple):
    """A checker finding as cards show it (a hold reason, a badge)."""

    code: str
    severity: str
    message: str


def findings_of(stored: list[dict[str, object]] | None, severity: str = "") -> tuple[Finding, ...]:
    """Stored findings (JSON) as hashable values, so that cards can be keyed by what they show."""
    if not stored:
        return ()
    return tuple(Finding(str(f.get("code", "")), str(f.get("severity", severity)), str(f.get("message", "")))
                 for f in stored)


class QuoteCard(NamedTuple):
    id: int
    post_id: int
    position: int
    kind: str
    author: str
    handle: str
    said_at: str
    source_url: str
    archive_url: str
    context: str
    text: str
    quoted_post_id: int | None
    quoted_member_id: int | None
    findings: tuple[Finding, ...]
    attachment_id: int | None
    attachment_name: str | None
    attachment_type: str | None
    attachment_size: int | None
    attachment_sha256: str | None
    reply_html: str | None = None
    reply_outdated: bool = False
    reply_id: int | None = None
    reply_author: str | None = None

    @property
    def source_domain(self) -> str:
        from urllib.parse import urlsplit

        host = urlsplit(self.source_url).hostname or ""
        return host.removeprefix("www.")

    @property
    def badges(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "info"]

    @property
    def hold_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "hold"]


class PostRow(NamedTuple):
    id: int
    number: int
    author_id: int
    author_name: str
    federation: str | None
    html: str
    status: PostStatus
    created_at: dt.datetime
    revision_count: int
    hold_reasons: tuple[Finding, ...]
    kind: str = "message"
    quotes: tuple[QuoteCard, ...] = ()
    # Shown to others as a placeholder: hidden by a decision, or masked pending review.
    hidden: bool = False
    masked: bool = False
    # Names of the extras (Context.post_probes) this post has.
    marks: frozenset[str] = frozenset()


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


_CATEGORY_BY_SLUG = select(Category).where(Category.slug == bindparam("slug"))


def category_by_slug(session: Session, slug: str) -> Category | None:
    return session.scalar(_CATEGORY_BY_SLUG, {"slug": slug})


MAX_ID = 2**31 - 1  # the largest value of an INTEGER column (ids, post numbers) on PostgreSQL


class CategoryPage(NamedTuple):
    """What a category's topic list shows of its category."""

    id: int
    slug: str
    name: str
    description: str


_CATEGORY_PAGE = Prepared(
    select(Category.id, Category.slug, Category.name, Category.description).where(Category.slug == bindparam("slug")))


def category_page(session: Session | Connection, slug: str) -> CategoryPage | None:
    """The category of a topic list (read as `Prepared`, with its topics on the same connection)."""
    values = _CATEGORY_PAGE.first(core(session), {"slug": slug})
    return None if values is None else CategoryPage._make(values)


def encode_cursor(last_post_at: dt.datetime, topic_id: int) -> str:
    return f"{int(last_post_at.timestamp() * 1_000_000)}_{topic_id}"


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        micros, after_id = cursor.split("_", 1)
        topic_id = int(after_id)
        if not 0 < topic_id <= MAX_ID:
            return None  # no topic has it, and the database could not bind it
        return dt.datetime.fromtimestamp(int(micros) / 1_000_000, dt.timezone.utc), topic_id
    except (ValueError, OverflowError, OSError):
        return None


def _topic_visible(viewer_id: int | None) -> ColumnElement[bool]:
    published = Topic.status == PostStatus.PUBLISHED
    return or_(published, Topic.author_id == viewer_id) if viewer_id is not None else published


def _topics_statement(after: bool) -> Executable:
    # Built once per shape, with bound parameters (anonymous readers pass NOBODY as viewer).
    query = (
        select(Topic.id, Topic.title, Member.first_name, Member.last_name, Topic.post_count,
               Topic.created_at, Topic.last_post_at, Topic.locked)
        .join(Member, Member.id == Topic.author_id)
        .where(Topic.category_id == bindparam("category_id"),
               or_(Topic.status == PostStatus.PUBLISHED, Topic.author_id == bindparam("viewer_id")))
        .order_by(Topic.last_post_at.desc(), Topic.id.desc())
        .limit(bindparam("limit"))
    )
    if after:
        at = bindparam("at", type_=Topic.last_post_at.type)
        topic_id: BindParameter[int] = bindparam("after_id")
        query = query.where(or_(Topic.last_post_at < at, and_(Topic.last_post_at == at, Topic.id < topic_id)))
    return query


_TOPICS_PAGE = {False: Prepared(_topics_statement(False)), True: Prepared(_topics_statement(True))}


def topics_page(
    session: Session | Connection, category_id: int, cursor: str | None, limit: int, viewer_id: int | None = None
) -> tuple[list[TopicRow], str | None]:
    """Topics of a category, most recently active first, by keyset (constant cost at any depth)."""
    params: dict[str, object] = {"category_id": category_id, "viewer_id": viewer_id or NOBODY, "limit": limit + 1}
    position = decode_cursor(cursor)
    if position:
        params["at"], params["after_id"] = position
    rows = [
        TopicRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7])
        for r in _TOPICS_PAGE[position is not None].rows(core(session), params)
    ]
    next_cursor = encode_cursor(rows[limit - 1].last_post_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def latest_topics(session: Session, limit: int = 10, viewer_id: int | None = None) -> list[tuple[TopicRow, str, str]]:
    """The most recently active topics of the whole forum, with their category slug and name."""
    query = (
        select(Topic.id, Topic.title, Member.first_name, Member.last_name, Topic.post_count,
               Topic.created_at, Topic.last_post_at, Topic.locked, Category.slug, Category.name)
        .join(Member, Member.id == Topic.author_id)
        .join(Category, Category.id == Topic.category_id)
        .where(_topic_visible(viewer_id))
        .order_by(Topic.last_post_at.desc(), Topic.id.desc())
        .limit(limit)
    )
    return [
        (TopicRow(r.id, r.title, f"{r.first_name} {r.last_name}", r.post_count, r.created_at, r.last_post_at, r.locked),
         r.slug, r.name)
        for r in session.execute(query)
    ]


# The topic page's statements are built once, with bound parameters: on the hottest page,
# building statements would cost more than running them (SQLAlchemy caches the compilation).
class TopicHead(NamedTuple):
    """What a topic page shows of its topic."""

    id: int
    title: str
    author_id: int
    post_count: int
    locked: bool
    status: PostStatus


class CategoryHead(NamedTuple):
    id: int
    slug: str
    name: str
    designation_id: int | None


_TOPIC_FOR_VIEWER = Prepared(
    select(Topic.id, Topic.title, Topic.author_id, Topic.post_count, Topic.locked, Topic.status,
           Category.id, Category.slug, Category.name, Category.designation_id)
    .join(Category, Category.id == Topic.category_id)
    .where(Topic.id == bindparam("topic_id"),
           or_(Topic.status == PostStatus.PUBLISHED, Topic.author_id == bindparam("viewer_id")))
)


# A topic page's posts: numbered first..last, those the viewer may see (hidden ones keep their
# place), with the columns a card shows.
_POSTS_IN_RANGE = (
    select(Post.id.label("post_id"), Post.number, Post.author_id.label("post_author_id"), Member.first_name,
           Member.last_name, Federation.name.label("fed"), Post.html, Post.status.label("post_status"),
           Post.created_at, Post.revision_count,
           # Only what a card shows: hold reasons only matter on a held post (no JSON to parse
           # for the others), and of masking only whether it happened.
           case((Post.status == PostStatus.HELD, Post.hold_reasons), else_=None).label("hold_reasons"),
           Post.masked_at.is_not(None).label("masked"), Post.kind,
           select(Quote.id).where(Quote.post_id == Post.id).limit(1).scalar_subquery().label("first_quote"))
    .join(Member, Member.id == Post.author_id)
    .outerjoin(Federation, Federation.id == Member.federation_id)
    # Equalities rather than IN (...): a statement with no list to expand is compiled once for good.
    .where(Post.topic_id == bindparam("topic_id"), Post.number.between(bindparam("first"), bindparam("last")),
           or_(Post.status == PostStatus.PUBLISHED, Post.status == PostStatus.HIDDEN,
               and_(Post.author_id == bindparam("viewer_id"), Post.status == PostStatus.HELD)))
)


def _nulls(columns: Any, prefix: str) -> list[Any]:
    """NULLs standing in for `columns` in the other half of a UNION ALL, typed as they are (the
    compound takes its result types from its first SELECT)."""
    return [type_coerce(null(), column.type).label(f"{prefix}{i}") for i, column in enumerate(columns)]


_REPLIER = Member.__table__.alias("replier")
_QUOTE_CARDS = ByIds(lambda ids: (
    select(Quote.id, Quote.post_id, Quote.position, Quote.kind, Quote.author, Quote.handle, Quote.said_at,
           Quote.source_url, Quote.archive_url, Quote.context, Quote.text, Quote.quoted_post_id,
           Quote.quoted_member_id, Quote.findings, Quote.attachment_id, Attachment.filename,
           Attachment.content_type, Attachment.size, Attachment.sha256, QuoteReply.html.label("reply_html"),
           QuoteReply.quote_text.label("reply_quote_text"), QuoteReply.id.label("reply_id"),
           _REPLIER.c.first_name.label("replier_first"), _REPLIER.c.last_name.label("replier_last"))
    .outerjoin(Attachment, Attachment.id == Quote.attachment_id)
    .outerjoin(QuoteReply, (QuoteReply.quote_id == Quote.id) & QuoteReply.hidden.is_(False))
    .outerjoin(_REPLIER, _REPLIER.c.id == QuoteReply.member_id)
    .where(Quote.post_id.in_(ids))
    .order_by(Quote.post_id, Quote.position)
))


NOBODY = -1  # a viewer id that matches no member: anonymous readers see published posts only


def topic_with_category(session: Session | Connection, topic_id: int,
                        viewer_id: int | None = None) -> tuple[TopicHead, CategoryHead] | None:
    """A topic the viewer may see: published, or held and their own."""
    values = _TOPIC_FOR_VIEWER.first(core(session), {"topic_id": topic_id, "viewer_id": viewer_id or NOBODY})
    return None if values is None else _head_of(values)


def _head_of(values: tuple[Any, ...]) -> tuple[TopicHead, CategoryHead]:
    """The topic and category of _TOPIC_FOR_VIEWER's columns."""
    return TopicHead._make(values[:6]), CategoryHead._make(values[6:])


_FIRST_QUOTE = len(_POSTS_IN_RANGE.selected_columns) - 1


class _TopicPage(NamedTuple):
    posts: Prepared  # the posts (SQLite, after the topic head)
    both: Prepared  # the topic head's row and the posts' rows in one statement (PostgreSQL)
    width: int  # a post row's columns (probes included); the head's follow them in `both`


_TOPIC_PAGES: dict[tuple[tuple[str, int], ...], _TopicPage] = {}  # by probe name and expression


def _topic_page_statements(probes: Mapping[str, Any]) -> _TopicPage:
    """The topic page's statements, built once per set of probes (one column each).

    On PostgreSQL the page reads its topic head and its posts in one statement, a UNION ALL:
    a round trip less costs the worker ~0.1 ms of CPU, a tenth of the page. On SQLite, where a
    statement is a function call, the two stay apart: the compound's NULL half-rows cost more
    than the second statement (measured in bench/PROFILE.md)."""
    names = tuple(probes)
    key = tuple((name, id(probe)) for name, probe in probes.items())
    statements = _TOPIC_PAGES.get(key)
    if statements is None:
        posts = _POSTS_IN_RANGE.add_columns(*(probes[n].label(f"probe_{n}") for n in names))
        head = _TOPIC_FOR_VIEWER.statement
        both = union_all(  # post columns first, so that a post row reads the same in both forms
            head.with_only_columns(*_nulls(posts.selected_columns, "post_"), *head.selected_columns),
            posts.add_columns(*_nulls(head.selected_columns, "head_")),
        )
        statements = _TopicPage(Prepared(posts.order_by(Post.number)), Prepared(both), len(posts.selected_columns))
        _TOPIC_PAGES[key] = statements
    return statements


_BY_NUMBER = operator.itemgetter(1)


def topic_page(session: Session | Connection, topic_id: int, first: int, last: int, viewer_id: int | None,
               probes: Mapping[str, Any] | None = None) -> tuple[TopicHead, CategoryHead, list[PostRow]] | None:
    """A topic the viewer may see (as `topic_with_category`) and its posts numbered first..last
    that the viewer may see (a range scan on the unique index); None when the topic is not
    theirs to see.

    Hidden and masked posts keep their place, but only their author gets their content:
    for everyone else the row is emptied here, not in the template. `probes` (see
    Context.post_probes) give each post the names of the extras it has (PostRow.marks).
    """
    probes = probes or {}
    statements = _topic_page_statements(probes)
    connection = core(session)
    params = {"topic_id": topic_id, "first": first, "last": last, "viewer_id": viewer_id or NOBODY}
    if connection.dialect.name == "sqlite":
        found = topic_with_category(connection, topic_id, viewer_id)
        if found is None:
            return None
        rows = statements.posts.rows(connection, params)
    else:
        rows = statements.both.rows(connection, params)
        heads = [row for row in rows if row[0] is None]  # posts.id is never NULL
        if not heads:
            return None  # the posts of a topic one may not see are read, and dropped here
        found = _head_of(heads[0][statements.width:])
        rows = sorted((row for row in rows if row[0] is not None), key=_BY_NUMBER)  # a UNION has no order
    return found[0], found[1], _post_rows(session, rows, viewer_id, tuple(probes))


def _post_rows(session: Session | Connection, rows: list[tuple[Any, ...]], viewer_id: int | None,
               names: tuple[str, ...]) -> list[PostRow]:
    # Most pages quote nothing: ask for quote cards only when a post has some.
    quoting = [r[0] for r in rows if r[_FIRST_QUOTE] is not None]
    cards = quotes_for_posts(session, quoting) if quoting else {}
    result = []
    no_marks: frozenset[str] = frozenset()
    hidden_status = PostStatus.HIDDEN
    # Positional unpacking: the cheapest way through 20 rows, on every page. `probed` holds the
    # probes, then (PostgreSQL) the head's NULLs, which zip() leaves aside.
    for (post_id, number, author_id, first_name, last_name, fed, html, status, created_at,
         revision_count, hold_reasons, masked, kind, _first_quote, *probed) in rows:
        hidden = status == hidden_status
        masked = bool(masked)
        withheld = (hidden or masked) and author_id != viewer_id
        marks = frozenset(n for n, v in zip(names, probed) if v is not None) if names else no_marks
        result.append(PostRow(
            post_id, number, author_id, f"{first_name} {last_name}", fed, "" if withheld else html,
            status, created_at, revision_count, findings_of(hold_reasons, "hold"), kind.value,
            () if withheld else tuple(cards.get(post_id, ())), hidden, masked, marks,
        ))
    return result


def quotes_for_posts(session: Session | Connection, post_ids: list[int]) -> dict[int, list[QuoteCard]]:
    """The quote cards of several posts in one query (with their attachments' metadata, not bytes)."""
    if not post_ids:
        return {}
    cards: dict[int, list[QuoteCard]] = {}
    statement, params = _QUOTE_CARDS(post_ids)
    for r in core(session).execute(statement, params):
        cards.setdefault(r.post_id, []).append(QuoteCard(
            r.id, r.post_id, r.position, r.kind.value, r.author, r.handle, r.said_at, r.source_url, r.archive_url,
            r.context, r.text, r.quoted_post_id, r.quoted_member_id, findings_of(r.findings), r.attachment_id, r.filename,
            r.content_type, r.size, r.sha256, r.reply_html,
            r.reply_html is not None and r.reply_quote_text != r.text, r.reply_id,
            f"{r.replier_first} {r.replier_last}" if r.reply_id else None,
        ))
    return cards


def post_for_viewer(session: Session, post_id: int, viewer_id: int | None) -> tuple[Post, Topic] | None:
    row = session.execute(select(Post, Topic).join(Topic, Topic.id == Post.topic_id).where(Post.id == post_id)).first()
    if row is None:
        return None
    post, topic = row
    if post.author_id == viewer_id:
        return post, topic
    if post.status != PostStatus.PUBLISHED or post.masked_at is not None or topic.status != PostStatus.PUBLISHED:
        return None
    return post, topic


def revisions(session: Session, post_id: int, include_unpublished: bool = False) -> list[tuple[PostRevision, str]]:
    """A post's versions; versions that were never visible (held) only for its author and moderators."""
    query = (
        select(PostRevision, Member.first_name, Member.last_name)
        .join(Member, Member.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post_id)
        .order_by(PostRevision.number)
    )
    if not include_unpublished:
        query = query.where(PostRevision.visible.is_(True))
    rows = session.execute(query)
    return [(rev, f"{first} {last}") for rev, first, last in rows]


def member_profile(session: Session, member_id: int) -> tuple[Member, str | None, int] | None:
    row = session.execute(
        select(Member, Federation.name).outerjoin(Federation, Federation.id == Member.federation_id)
        .where(Member.id == member_id)
    ).first()
    if row is None:
        return None
    count = session.scalar(
        select(func.count()).select_from(Post).where(Post.author_id == member_id, Post.status == PostStatus.PUBLISHED)
    ) or 0
    return row[0], row[1], count


def member_activity(session: Session, member_id: int, now: dt.datetime, months: int = 6,
                    locale: str = "fr") -> BarChart:
    """A member's published posts per month (Paris time) over the last `months` months, this one
    included, oldest first; months without a post count 0."""
    local = now.astimezone(ZoneInfo("Europe/Paris"))
    firsts = []
    year, month = local.year, local.month
    for _ in range(months):
        firsts.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    start = dt.datetime(*firsts[0], 1, tzinfo=local.tzinfo)
    counts = dict.fromkeys(firsts, 0)
    for (created_at,) in session.execute(
        select(Post.created_at).where(Post.author_id == member_id, Post.status == PostStatus.PUBLISHED,
                                      Post.created_at >= start, Post.created_at <= now)
    ):
        at = created_at.astimezone(local.tzinfo)
        if (at.year, at.month) in counts:
            counts[(at.year, at.month)] += 1
    return BarChart.of((month_label(year, month, locale), n) for (year, month), n in counts.items())


def attachment_for_viewer(session: Session, attachment_id: int, viewer: Member) -> Attachment | None:
    """A file the viewer may download: theirs, a moderator's to review, or on a post they can see."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        return None
    if attachment.uploader_id == viewer.id:
        return attachment
    if viewer.is_moderator and (viewer.is_admin or viewer.moderated_federation_id is None):
        return attachment
    uses = (select(Quote.id).join(Post, Post.id == Quote.post_id).join(Topic, Topic.id == Post.topic_id)
            .join(Category, Category.id == Topic.category_id).where(Quote.attachment_id == attachment_id))
    if viewer.is_moderator:
        # A federation's moderator reviews the files of their federation's categories only.
        in_scope = session.scalar(uses.where(Category.federation_id == viewer.moderated_federation_id).limit(1))
        if in_scope is not None:
            return attachment
    visible = session.scalar(
        uses.where(Post.status == PostStatus.PUBLISHED, Post.masked_at.is_(None), Topic.status == PostStatus.PUBLISHED)
        .limit(1)
    )
    if visible is None:
        from forum.models import Candidacy, CandidacyStatus

        visible = session.scalar(select(Candidacy.id).where(
            Candidacy.photo_attachment_id == attachment_id, Candidacy.status != CandidacyStatus.REFUSED).limit(1))
    return attachment if visible is not None else None


def is_validated_candidate(session: Session | Connection, member_id: int, designation_id: int) -> bool:
    from forum.models import Candidacy, CandidacyStatus

    return core(session).scalar(
        select(Candidacy.id).where(Candidacy.designation_id == designation_id, Candidacy.member_id == member_id,
                                   Candidacy.status == CandidacyStatus.VALIDATED)
    ) is not None
