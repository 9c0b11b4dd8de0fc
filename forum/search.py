"""French full-text search of published posts and their topics' titles.

The index lives in the database, next to what it indexes (migration 0005):

- SQLite: the FTS5 table `post_search` (title, body), tokenizer `unicode61 remove_diacritics 2`,
  rowid = posts.id, the topic's title on its first post only. Triggers on posts and topics keep
  it in the writing transaction, and keep in it only the posts any member may read: published,
  not masked, in a published topic. bm25 therefore never counts a hidden text either.
- PostgreSQL: STORED generated tsvector columns posts.search_vector (source) and
  topics.search_vector (title) with GIN indexes, in the configuration `tribune_french`
  (`french` stemming and stop words behind `unaccent`: "election" finds "élection").

Both backends match the same way: a post is found when its text matches the query, or when it
opens its topic and the title matches. Visibility is checked again here, at query time, for every
viewer alike: held posts are never found, not even by their author (they are not published yet;
the author finds them in the topic and in their notifications).

Snippets come from the database (snippet()/highlight(), ts_headline) with control characters
around the matches; `marked()` escapes the text and only then turns those into <mark>.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import ColumnClause, ColumnElement, Select, and_, case, column, func, literal_column, or_, select, table, union_all
from sqlalchemy.dialects.postgresql import TSVECTOR, ts_headline, websearch_to_tsquery
from sqlalchemy.orm import Session, aliased

from forum.models import Category, Federation, Member, Post, PostStatus, Topic

PER_PAGE = 20
MAX_PAGES = 25  # 500 results: past them, a query needs narrowing, not more paging
MAX_QUERY_LENGTH = 200
MAX_AUTHOR_LENGTH = 100
TITLE_WEIGHT = 2.0  # a word of the title counts twice a word of the text
START, STOP = "\x02", "\x03"  # around matches in snippets; never shown, see marked()

# The database objects of migration 0005, outside the models (not mapped, not created by them).
FTS_TABLE = "post_search"
FTS_SHADOW_TABLES = frozenset(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config"))
PG_CONFIG = "tribune_french"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEXES = {"posts": "ix_posts_search_vector", "topics": "ix_topics_search_vector"}

_fts = table(FTS_TABLE, column("rowid"), column("title"), column("body"))
_fts_name: ColumnClause[Any] = literal_column(FTS_TABLE)
_post_vectors = table("posts", column("id"), column(VECTOR_COLUMN, TSVECTOR))
_topic_vectors = table("topics", column("id"), column(VECTOR_COLUMN, TSVECTOR))

_PG_BODY_HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \""
_PG_TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
_SQLITE_SNIPPET_TOKENS = 32


# --- the query typed by the member ----------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")  # letters and digits: what the tokenizers keep
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')  # -"a phrase" (closing quote optional), or a word


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    negated: bool = False
    phrase: bool = False


def parse_query(text: str) -> list[list[Term]]:
    """The same syntax as PostgreSQL's websearch_to_tsquery: words, "a phrase", -excluded,
    `or` between alternatives. Groups are alternatives; a group without a wanted word is dropped.

    Only letters and digits survive, so nothing the member types can be an operator."""
    groups: list[list[Term]] = [[]]
    for match in _CHUNK.finditer(unicodedata.normalize("NFC", text)):
        minus, quoted, bare = match.groups()
        if bare is not None:
            if bare.lower() == "or":
                if groups[-1]:
                    groups.append([])
                continue
            negated, phrase, body = bare.startswith("-"), False, bare.removeprefix("-")
        else:
            negated, phrase, body = bool(minus), True, quoted
        words = tuple(_WORD.findall(body))
        if words:
            groups[-1].append(Term(words, negated, phrase))
    return [group for group in groups if any(not term.negated for term in group)]


def _fts5_phrase(term: Term, prefix: bool) -> str:
    # A double-quoted FTS5 string; words hold letters and digits only, so no quote to escape.
    return '"' + " ".join(term.words) + '"' + ("*" if prefix else "")


def fts5_query(text: str) -> str | None:
    """The FTS5 MATCH expression for what the member typed, or None when there is no word.

    Every word is a quoted FTS5 string (never an operator); the last word, when typed bare and
    3 letters or more, is also a prefix ("électi" finds "élections"). The query must match
    within the text, or within the title (first posts only), like on PostgreSQL.
    """
    groups = parse_query(text)
    if not groups:
        return None
    last = groups[-1][-1]
    alternatives = []
    for group in groups:
        wanted = " AND ".join(
            _fts5_phrase(term, term is last and not term.phrase and len(term.words[-1]) >= 3)
            for term in group if not term.negated
        )
        for term in group:
            if term.negated:
                wanted = f"({wanted}) NOT {_fts5_phrase(term, False)}"
        alternatives.append(f"({wanted})")
    either = " OR ".join(alternatives)
    return f"title : ({either}) OR body : ({either})"


# --- the request --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    category: str = ""  # a category's slug
    author: str = ""  # words of the author's name
    federation: str = ""  # the author's federation, by slug
    since: dt.date | None = None  # "du", Europe/Paris, included
    until: dt.date | None = None  # "au", Europe/Paris, included
    page: int = 1

    @property
    def has_words(self) -> bool:
        return bool(parse_query(self.text))

    @property
    def too_deep(self) -> bool:
        return self.page > MAX_PAGES

    def params(self, page: int | None = None) -> dict[str, str]:
        """The query string of this search (of another of its pages), without empty fields."""
        values = {"q": self.text, "categorie": self.category, "auteur": self.author, "federation": self.federation,
                  "du": self.since.isoformat() if self.since else "", "au": self.until.isoformat() if self.until else "",
                  "page": str(page) if page and page > 1 else ""}
        return {key: value for key, value in values.items() if value}


def _date(value: str) -> dt.date:
    value = value.strip()
    for parse in (dt.date.fromisoformat, lambda v: dt.datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            return parse(value)
        except ValueError:
            continue
    raise ValueError(value)


def read_request(params: Mapping[str, str]) -> tuple[SearchRequest, dict[str, str]]:
    """The search asked for in a query string, and what is wrong with it (field -> French message)."""
    errors: dict[str, str] = {}
    text = " ".join(params.get("q", "").split())
    if len(text) > MAX_QUERY_LENGTH:
        errors["q"] = f"La recherche est limitée à {MAX_QUERY_LENGTH} caractères."
    author = " ".join(params.get("auteur", "").split())
    if len(author) > MAX_AUTHOR_LENGTH:
        errors["auteur"] = f"Le nom est limité à {MAX_AUTHOR_LENGTH} caractères."
    dates: dict[str, dt.date | None] = {}
    for name, label in (("du", "de début"), ("au", "de fin")):
        raw = params.get(name, "").strip()
        try:
            dates[name] = _date(raw) if raw else None
        except ValueError:
            dates[name] = None
            errors[name] = f"La date {label} n’est pas une date (jj/mm/aaaa)."
    since, until = dates["du"], dates["au"]
    if since and until and since > until:
        errors["au"] = "La date de fin précède la date de début."
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    request = SearchRequest(text=text, category=params.get("categorie", "").strip(), author=author,
                            federation=params.get("federation", "").strip(), since=since, until=until, page=page)
    return request, errors


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    post_id: int
    topic_id: int
    number: int
    title: Markup  # the topic's title, matches marked when it is the topic's first post
    snippet: Markup  # an excerpt of the post's Markdown source, matches marked
    author_id: int
    author_name: str
    federation: str | None
    category_slug: str
    category_name: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # every match, though only MAX_PAGES pages can be read
    page: int = 1

    @property
    def pages(self) -> int:
        return min(-(-self.total // PER_PAGE), MAX_PAGES)

    @property
    def capped(self) -> bool:
        return self.total > PER_PAGE * MAX_PAGES


def marked(text: str | None) -> Markup:
    """HTML for a database snippet: the text escaped first, then its START/STOP markers, and only
    they, turned into <mark></mark>, always balanced (a marker character typed in a post may
    shift a highlight, never open a tag)."""
    out: list[str] = []
    inside = False
    for part in re.split(f"([{START}{STOP}])", text or ""):
        if part == START:
            if not inside:
                out.append("<mark>")
            inside = True
        elif part == STOP:
            if inside:
                out.append("</mark>")
            inside = False
        else:
            out.append(str(escape(part)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


def _paris_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.timezone.utc)


def _matches_sqlite(expression: str) -> Select[Any]:
    """(post id, rank): bm25 is lower for better matches, so its opposite."""
    return select(
        _fts.c.rowid.label("id"),
        (-func.bm25(_fts_name, TITLE_WEIGHT, 1.0)).label("rank"),
    ).where(_fts_name.op("MATCH")(expression))


def _matches_postgresql(text: str) -> Select[Any]:
    """(post id, rank): the post's text, plus the title for a topic's first post (GIN indexes both)."""
    query = websearch_to_tsquery(PG_CONFIG, text)
    posts = _post_vectors.alias("post_vectors")
    topics = _topic_vectors.alias("topic_vectors")
    first = aliased(Post, name="first_posts")
    in_text = select(
        posts.c.id.label("id"), func.ts_rank(posts.c.search_vector, query, 1).label("rank"),
    ).where(posts.c.search_vector.op("@@")(query))
    in_title = select(
        first.id.label("id"), (func.ts_rank(topics.c.search_vector, query, 1) * TITLE_WEIGHT).label("rank"),
    ).join(topics, topics.c.id == first.topic_id).where(first.number == 1, topics.c.search_vector.op("@@")(query))
    both = union_all(in_text, in_title).subquery("matches")
    return select(both.c.id, func.sum(both.c.rank).label("rank")).group_by(both.c.id)


def _filters(request: SearchRequest, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if request.category:
        conditions.append(Category.slug == request.category)
    if request.federation:
        conditions.append(Federation.slug == request.federation)
    full_name = Member.first_name + " " + Member.last_name
    for word in request.author.split():
        # SQLite lowers ASCII letters only: "élodie" would miss "Élodie" without the second form.
        conditions.append(or_(full_name.icontains(word, autoescape=True),
                              full_name.icontains(word.capitalize(), autoescape=True)))
    if request.since:
        conditions.append(Post.created_at >= _paris_midnight(request.since, tz))
    if request.until:
        conditions.append(Post.created_at < _paris_midnight(request.until + dt.timedelta(days=1), tz))
    return conditions


def search(session: Session, request: SearchRequest, tz: ZoneInfo) -> Results:
    """One page of ranked results among the posts every member may read."""
    expression = fts5_query(request.text)  # None: no word to look for
    if expression is None or request.too_deep:
        return Results(page=request.page)
    sqlite = session.get_bind().dialect.name == "sqlite"
    matches = (_matches_sqlite(expression) if sqlite else _matches_postgresql(request.text)).subquery("hits")
    visible = and_(Post.status == PostStatus.PUBLISHED, Post.masked_at.is_(None), Topic.status == PostStatus.PUBLISHED)
    # Ranking sorts every match: it joins only what visibility and the filters need.
    ranking = (
        select(Post.id, func.count().over().label("total"))
        .join(matches, matches.c.id == Post.id)
        .join(Topic, Topic.id == Post.topic_id)
    )
    if request.category:
        ranking = ranking.join(Category, Category.id == Topic.category_id)
    if request.author or request.federation:
        ranking = ranking.join(Member, Member.id == Post.author_id)
    if request.federation:
        ranking = ranking.join(Federation, Federation.id == Member.federation_id)
    ranked = session.execute(
        ranking.where(visible, *_filters(request, tz))
        .order_by(matches.c.rank.desc(), Post.id.desc())
        .limit(PER_PAGE)
        .offset((request.page - 1) * PER_PAGE)
    ).all()
    if not ranked:
        return Results(page=request.page)
    ids = [r.id for r in ranked]
    details = {r.id: r for r in session.execute(
        select(Post.id, Post.topic_id, Post.number, Post.author_id, Post.created_at, Topic.title,
               Member.first_name, Member.last_name, Federation.name.label("federation"), Category.slug,
               Category.name.label("category"))
        .join(Topic, Topic.id == Post.topic_id)
        .join(Category, Category.id == Topic.category_id)
        .join(Member, Member.id == Post.author_id)
        .outerjoin(Federation, Federation.id == Member.federation_id)
        .where(Post.id.in_(ids))
    )}
    highlights = _highlights_sqlite(session, expression, ids) if sqlite else _highlights_postgresql(session, request.text, ids)
    hits = []
    for post_id in ids:
        r = details[post_id]
        title, snippet = highlights.get(post_id, (None, None))
        hits.append(Hit(
            r.id, r.topic_id, r.number, marked(title) if title else marked(r.title), marked(snippet), r.author_id,
            f"{r.first_name} {r.last_name}", r.federation, r.slug, r.category, r.created_at,
        ))
    return Results(hits, ranked[0].total, request.page)


def _highlights_sqlite(session: Session, expression: str, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Only for the page's posts: snippet() costs a pass over each text."""
    rows = session.execute(
        select(_fts.c.rowid, func.highlight(_fts_name, 0, START, STOP),
               func.snippet(_fts_name, 1, START, STOP, "…", _SQLITE_SNIPPET_TOKENS))
        .where(_fts_name.op("MATCH")(expression), _fts.c.rowid.in_(ids))
    )
    return {rowid: (title, snippet) for rowid, title, snippet in rows}


def _highlights_postgresql(session: Session, text: str, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    query = websearch_to_tsquery(PG_CONFIG, text)
    rows = session.execute(
        select(Post.id,
               case((Post.number == 1, ts_headline(PG_CONFIG, Topic.title, query, _PG_TITLE_HEADLINE)), else_=None),
               ts_headline(PG_CONFIG, Post.source, query, _PG_BODY_HEADLINE))
        .join(Topic, Topic.id == Post.topic_id)
        .where(Post.id.in_(ids))
    )
    return {post_id: (title, snippet) for post_id, title, snippet in rows}


# --- autogenerate --------------------------------------------------------------------------


def is_index_object(type_: str, name: str | None, table_name: str | None = None) -> bool:
    """Whether a reflected schema object is part of the search index rather than of the models."""
    if type_ == "table":
        return name == FTS_TABLE or name in FTS_SHADOW_TABLES
    if type_ == "column":
        return name == VECTOR_COLUMN and table_name in VECTOR_INDEXES
    if type_ == "index":
        return name in VECTOR_INDEXES.values()
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: the search index is not in the models, on purpose, so
    autogenerate (and the test comparing head with the models) must not report it."""
    table = parent_names.get("table_name") if isinstance(parent_names, dict) else None
    return not is_index_object(type_, name, table)
