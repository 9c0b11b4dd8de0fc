"""French full-text search of published posts and their topics' titles.

The index lives in the database, next to what it indexes (migrations 0005 and 0006):

- SQLite: the FTS5 table `post_search` (title, body), tokenizer `unicode61 remove_diacritics 2`,
  prefix indexes for 3 to 6 characters, rowid = posts.id, the topic's title on its first post
  only, and `post_search_vocab` (fts5vocab) over it. Triggers on posts and topics keep it in the
  writing transaction, and keep in it only the posts any member may read: published, not masked,
  in a published topic. Word weights therefore never count a hidden text either.
- PostgreSQL: STORED generated tsvector columns posts.search_vector (source) and
  topics.search_vector (title) with GIN indexes, in the configuration `tribune_french`
  (`french` stemming and stop words behind `unaccent`: "election" finds "élection").

Both backends match the same way: a post is found when its text matches the query, or when it
opens its topic and the title matches. Visibility is checked again here, at query time, for every
viewer alike: held posts are never found, not even by their author (they are not published yet;
the author finds them in the topic and in their notifications).

At a million posts a common word matches a third of them: only the CANDIDATES most recent
matches are ranked (BM25 on SQLite, ts_rank on PostgreSQL), and past them the total is "more
than" (see search()). bench/search.py measures it; bench/SEARCH.md has the figures.

Snippets come from the database (highlight(), ts_headline) with control characters around the
matches; `marked()` escapes the text and only then turns those into <mark>.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnClause, ColumnElement, Integer, Select, and_, any_, bindparam, case, column, func, literal_column, or_, select,
    table, text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, ts_headline, websearch_to_tsquery
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forum.models import Category, Federation, Member, Post, PostStatus, Topic

PER_PAGE = 20
MAX_PAGES = 25  # 500 results: past them, a query needs narrowing, not more paging
MAX_QUERY_LENGTH = 200
MAX_AUTHOR_LENGTH = 100
TITLE_WEIGHT = 2.0  # a word of the title counts twice a word of the text
CANDIDATES = MAX_PAGES * PER_PAGE  # the most recent matches, ranked; past them a search says "more than"
IDF_COUNT_CAP = 20_000  # past it, a typed word is "common" (see _candidates_sqlite); exact counts stop there
IDF_WINDOW = 10_000  # newest rows of the index in which a word's share is measured (see _document_frequencies)
IDF_MIN_SAMPLE = 30  # fewer matches than this in the window: the word is counted everywhere instead
PREFIX_LENGTHS = frozenset({3, 4, 5, 6})  # FTS5 prefix indexes of migration 0006, in characters
PREFIX_EXPANSION = 64  # a longer prefix is replaced by the words it begins, when there are no more (see _expansion)
AUTHOR_PROBES = 200  # at most this many posts by the federation filter's members: FTS5 is probed post by post
AUTHOR_TOKENS = 128  # at most this many members found by the author filter: matched by their index tokens
AUTHOR_MARK = "\ue000"  # begins the token of a post's author in the index (migration 0006); never typed
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() constants
SNIPPET_WORDS = 32
START, STOP = "\x02", "\x03"  # around matches in snippets; never shown, see marked()

# The database objects of migrations 0005 and 0006, outside the models (not mapped, not created by them).
FTS_TABLE = "post_search"
FTS_SHADOW_TABLES = frozenset(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config"))
VOCAB_TABLE = f"{FTS_TABLE}_vocab"  # migration 0006
PG_CONFIG = "tribune_french"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEXES = {"posts": "ix_posts_search_vector", "topics": "ix_topics_search_vector"}
NAME_INDEXES = frozenset({"ix_members_first_name_trgm", "ix_members_last_name_trgm"})  # migration 0007: pg_trgm, for _authors()

_fts = table(FTS_TABLE, column("rowid"), column("title"), column("body"), column("author"))
_fts_name: ColumnClause[Any] = literal_column(FTS_TABLE)
_fts_rowid_unindexed: ColumnClause[Any] = literal_column(f"+{FTS_TABLE}.rowid")
_docsize = table(f"{FTS_TABLE}_docsize", column("id"), column("sz"))  # FTS5's own: each row's words per column
_vocab = table(VOCAB_TABLE, column("term"))  # fts5vocab 'row' (migration 0006): every indexed word

_PG_BODY_HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \""
_PG_TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"


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


def _fts5_phrase(term: Term, prefix: bool, expansion: tuple[str, ...] | None = None) -> str:
    """A double-quoted FTS5 string; words hold letters and digits only, so no quote to escape.

    A prefix is FTS5's `"…"*`, or, given its `expansion` (every indexed word it begins), those
    words in turn: `("… w1" OR "… w2")`; no word at all leaves the exact one, found nowhere."""
    if prefix and expansion is not None:
        if not expansion:
            return _fts5_phrase(term, False)
        head = "".join(word + " " for word in term.words[:-1])
        return "(" + " OR ".join(f'"{head}{word}"' for word in expansion) + ")"
    return '"' + " ".join(term.words) + '"' + ("*" if prefix else "")


def fts5_query(text: str, prefix: bool = True, expansion: tuple[str, ...] | None = None) -> str | None:
    """The FTS5 MATCH expression for what the member typed, or None when there is no word.

    Every word is a quoted FTS5 string (never an operator); the last word, when typed bare and
    3 letters or more, is also a prefix ("électi" finds "élections") unless `prefix` is false
    (then as its `expansion`, when given: see _fts5_phrase()). The query must match within the
    text, or within the title (first posts only), like on PostgreSQL.
    """
    groups = parse_query(text)
    if not groups:
        return None
    last = groups[-1][-1]
    alternatives = []
    for group in groups:
        wanted = " AND ".join(
            _fts5_phrase(term, prefix and term is last and not term.phrase and len(term.words[-1]) >= 3, expansion)
            for term in group if not term.negated
        )
        for term in group:
            if term.negated:
                wanted = f"({wanted}) NOT {_fts5_phrase(term, False)}"
        alternatives.append(f"({wanted})")
    either = " OR ".join(alternatives)
    return f"title : ({either}) OR body : ({either})"


def _match_expression(text: str, prefix: bool = True, expansion: tuple[str, ...] | None = None) -> str | None:
    """What fts5_query() matches, written for speed: when every alternative is a single wanted
    word or phrase, the column filters change nothing (a phrase lies within one column) and are
    left out, so FTS5 walks each list once instead of twice, without reading positions to check
    columns (and merges a prefix's lists once instead of twice)."""
    groups = parse_query(text)
    if not groups or any(len(group) != 1 for group in groups):
        return fts5_query(text, prefix, expansion)
    last = groups[-1][-1]
    return " OR ".join(
        _fts5_phrase(term, prefix and term is last and not term.phrase and len(term.words[-1]) >= 3, expansion)
        for [term] in groups
    )


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
    sqlite: bool = field(default=False, compare=False)  # set by search(): how to write the filters

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
    total: int = 0  # every match up to CANDIDATES; CANDIDATES + 1 means more (not counted)
    page: int = 1

    @property
    def pages(self) -> int:
        return min(-(-min(self.total, CANDIDATES) // PER_PAGE), MAX_PAGES)

    @property
    def capped(self) -> bool:
        """More matches than CANDIDATES: they were not counted, the page says "more than"."""
        return self.total > CANDIDATES


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


def _authors(session: Session, request: SearchRequest) -> list[int]:
    """The ids of the members whose name holds every word of the author filter (on PostgreSQL
    from the trigram indexes of migration 0007 when a word has three letters or more).

    Read first, on their own: with a short list of ids the database walks those members' posts
    and probes the index for each, instead of walking every match of a common word."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    conditions = []
    for word in request.author.split():
        # A word holds no space: it is within the first name or within the last name.
        if not sqlite:
            conditions.append(or_(Member.first_name.icontains(word, autoescape=True),
                                  Member.last_name.icontains(word, autoescape=True)))
            continue
        # SQLite's LIKE ignores the case of ASCII letters only: "élodie" would miss "Élodie" without
        # the capitalised form. (Plain LIKE, not lower(): a scan of every member, 5x faster.)
        forms = dict.fromkeys([word, word.capitalize()] if _ascii_lower(word) != _ascii_lower(word.capitalize())
                              else [word])
        conditions.append(or_(*(column.contains(form, autoescape=True)
                                for form in forms for column in (Member.first_name, Member.last_name))))
    return list(session.scalars(select(Member.id).where(*conditions)))


def _ascii_lower(text: str) -> str:
    """What SQLite's LIKE compares: ASCII letters in lower case, every other character as is."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _by_author(request: SearchRequest, authors: list[int] | None) -> list[ColumnElement[bool]]:
    """The conditions on a post's author: in the federation, among the members found by name."""
    by_author: list[ColumnElement[bool]] = []
    if request.federation:
        by_author.append(Post.author_id.in_(
            select(Member.id).join(Federation, Federation.id == Member.federation_id)
            .where(Federation.slug == request.federation)))
    if authors is not None:
        by_author.append(Post.author_id.in_(authors))
    return by_author


def _filters(request: SearchRequest, tz: ZoneInfo, authors: list[int] | None,
             probe: bool = False, tokens: bool = False) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if request.category:
        conditions.append(Topic.category_id == select(Category.id).where(Category.slug == request.category)
                          .scalar_subquery())
    if tokens and authors is not None:
        # SQLite, the authors matched in the index (see _author_tokens()): checked again on the
        # post, after the join only (+ 0: no index to start from).
        conditions.append((Post.author_id + 0).in_(authors))
        authors = None
    by_author = _by_author(request, authors)
    if by_author and request.sqlite:
        # The set of the authors' post ids. With a few posts (`probe`), FTS5 is asked about each of
        # them; otherwise it is checked on each FTS5 row before any join: the unary plus keeps SQLite
        # from probing FTS5 once per post id (~40 µs a probe).
        theirs = select(Post.id).where(*by_author)
        conditions.append(_fts.c.rowid.in_(theirs) if probe else _fts_rowid_unindexed.in_(theirs))
    else:
        conditions.extend(by_author)
    if request.since:
        conditions.append(Post.created_at >= _paris_midnight(request.since, tz))
    if request.until:
        conditions.append(Post.created_at < _paris_midnight(request.until + dt.timedelta(days=1), tz))
    return conditions


def _visible() -> ColumnElement[bool]:
    """What every member may read: the same rule as the SQLite triggers of migration 0005, checked
    again at query time (and the only check on PostgreSQL)."""
    return and_(Post.status == PostStatus.PUBLISHED, Post.masked_at.is_(None), Topic.status == PostStatus.PUBLISHED)


def _filtered(query: Select[Any], request: SearchRequest, tz: ZoneInfo, authors: list[int] | None,
              probe: bool = False, tokens: bool = False) -> Select[Any]:
    """`query` (over posts joined to topics) restricted to visible posts and to the filters."""
    return query.where(_visible(), *_filters(request, tz, authors, probe, tokens))


@dataclass(frozen=True)
class _Candidate:
    post_id: int
    score: float
    title: str | None = None  # SQLite: the highlighted title (first posts) and text, START/STOP around matches
    body: str | None = None


def search(session: Session, request: SearchRequest, tz: ZoneInfo) -> Results:
    """One page of ranked results among the posts every member may read.

    Ranking every match does not scale: a common word is in most of a million posts, and scoring,
    sorting and counting them all took seconds. So the candidates are the CANDIDATES most recent
    matches that pass visibility and the filters (one index walk by descending id, stopped early);
    they are scored (BM25, title words counting TITLE_WEIGHT times) and sorted in memory, and a page
    is a slice of them: page 25 costs what page 1 costs, no OFFSET in the database. Past
    CANDIDATES matches, the total is not counted: the page says "more than". Snippets and the
    other details are read for the shown page only.
    """
    expression = fts5_query(request.text)  # None: no word to look for
    if expression is None or request.too_deep:
        return Results(page=request.page)
    authors = _authors(session, request) if request.author else None
    if authors == []:
        return Results(page=request.page)
    request = replace(request, sqlite=session.get_bind().dialect.name == "sqlite")
    if request.sqlite:
        candidates = _candidates_sqlite(session, request, tz, authors)
    else:
        candidates = _candidates_postgresql(session, request, tz, authors)
    total = len(candidates)  # CANDIDATES + 1 means "more than CANDIDATES"
    ranked = sorted(candidates[:CANDIDATES], key=lambda c: (-c.score, -c.post_id))
    shown = ranked[(request.page - 1) * PER_PAGE:request.page * PER_PAGE]
    if not shown:
        return Results(total=total, page=request.page)
    ids = [c.post_id for c in shown]
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
    if session.get_bind().dialect.name == "sqlite":
        highlights: dict[int, tuple[str | None, str | None]] = {c.post_id: (c.title, snippet(c.body or "")) for c in shown}
    else:
        highlights = _highlights_postgresql(session, request.text, ids)
    hits = []
    for post_id in ids:
        r = details[post_id]
        title, excerpt = highlights.get(post_id, (None, None))
        hits.append(Hit(
            r.id, r.topic_id, r.number, marked(title) if title else marked(r.title), marked(excerpt), r.author_id,
            f"{r.first_name} {r.last_name}", r.federation, r.slug, r.category, r.created_at,
        ))
    return Results(hits, total, request.page)


# --- SQLite: candidates, BM25 and snippets from one FTS5 statement ------------------------------


def _candidates_sqlite(session: Session, request: SearchRequest, tz: ZoneInfo, authors: list[int] | None) -> list[_Candidate]:
    """The most recent matches (at most CANDIDATES + 1), scored.

    One FTS5 statement walks the matches by descending rowid, keeps the visible ones that pass the
    filters, and returns their highlighted title and text: term frequencies, lengths and later the
    page's snippets all come from that text. FTS5's own bm25() is not used: its first call counts
    every row holding each phrase (a full pass over a common word's list, twice with the title and
    text columns, and a prefix word merges its whole list again each time), which alone costs more
    than the budget of a search on a million posts. Word weights come from _document_frequencies()
    instead, and a query of one word or phrase needs none (see below).

    A prefix (the last word, "démocr" finding "démocratie") is read from FTS5's prefix index when
    it has PREFIX_LENGTHS characters: one list, walked lazily like a word's. A longer one would make
    FTS5 merge, up front and whatever the LIMIT, the lists of every word it begins (~20 ms for
    words in a third of a million posts; again at every post when probing). So when such a last
    word is itself a word in more than IDF_COUNT_CAP posts ("logement"), the newest matches of the
    exact words are read first: a full window from it is already more than can be read. Otherwise
    (or when filters left the window short) the prefix is replaced by the words it begins, read
    from FTS5's vocabulary (_expansion()): an OR of words, walked lazily too.
    """
    terms = _scored_terms(request.text)
    long_prefix = next((term for term in terms if term.prefix and len(term.words[-1]) not in PREFIX_LENGTHS), None)
    exact_first = long_prefix is not None and _count(
        session, _fts5_phrase(Term(long_prefix.words), prefix=False), IDF_COUNT_CAP) >= IDF_COUNT_CAP
    expansion = None if long_prefix is None or exact_first else _expansion(session, long_prefix.words[-1])
    tokens = authors is not None and len(authors) <= AUTHOR_TOKENS
    probe = _few_author_posts(session, request, None if tokens else authors)
    merging = long_prefix is not None and not exact_first and expansion is None  # FTS5 merges the prefix
    rows = _matches_sqlite(session, _match_expression(request.text, not exact_first, expansion) or "", request, tz,
                           authors, probe and not merging, tokens)
    if exact_first and len(rows) <= CANDIDATES:
        assert long_prefix is not None
        exact_first, expansion = False, _expansion(session, long_prefix.words[-1])
        rows = _matches_sqlite(session, _match_expression(request.text, True, expansion) or "", request, tz,
                               authors, probe and expansion is not None, tokens)
    if not rows:
        return []
    rows_in_index, average_length = _index_totals(session)
    if len(terms) == 1:
        # One weight scales every score alike: the order does not depend on it, nothing to count.
        idf = {terms[0]: 1.0}
    else:
        found = _document_frequencies(session, {
            term: _fts5_phrase(Term(term.words), term.prefix and not exact_first, expansion if term is long_prefix else None)
            for term in terms
        }, rows_in_index)
        idf = {term: _idf(found[term], rows_in_index) for term in terms}
    scored = []
    folded: dict[str, tuple[str, ...]] = {}
    for post_id, title, body, sizes in rows:
        in_title = _frequencies(title or "", terms, folded)
        in_body = _frequencies(body or "", terms, folded)
        length = _words(sizes)
        score = 0.0
        for term in terms:
            frequency = TITLE_WEIGHT * in_title[term] + in_body[term]
            if frequency:
                score += idf[term] * frequency * (BM25_K1 + 1) / (
                    frequency + BM25_K1 * (1 - BM25_B + BM25_B * length / average_length))
        scored.append(_Candidate(post_id, score, title or None, body))
    return scored


def _expansion(session: Session, prefix: str) -> tuple[str, ...] | None:
    """The indexed words that `prefix` (folded, as _scored_terms() gives it) begins, from FTS5's
    vocabulary table (migration 0006), or None for FTS5's own prefix: more than PREFIX_EXPANSION
    words (an OR that long would cost more than the merge), a prefix that is not plain ASCII once
    folded (FTS5's folding and Python's could differ), no vocabulary table (an older schema).

    Reading the vocabulary still reads the lists of those words, to count them, but without
    merging them: ~3 times faster than FTS5's prefix, and nothing to repeat at each probe."""
    if not prefix.isascii() or not prefix.isalnum():
        return None
    high = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    try:
        words = list(session.scalars(
            select(_vocab.c.term).where(_vocab.c.term >= prefix, _vocab.c.term < high).limit(PREFIX_EXPANSION + 1)))
    except OperationalError as exc:  # a database not migrated to 0006 yet
        if "no such table" not in str(exc):
            raise
        return None
    words = [word for word in words if word.startswith(prefix)]
    return tuple(words) if len(words) <= PREFIX_EXPANSION else None


def _few_author_posts(session: Session, request: SearchRequest, authors: list[int] | None) -> bool:
    """Whether the author and federation filters leave at most AUTHOR_PROBES posts: then FTS5 is
    asked about each of them (~40 µs a post) rather than walking a common word's whole list
    (~25 ms for a word in a third of a million posts) to find the few that are theirs."""
    by_author = _by_author(request, authors)
    if not by_author:
        return False
    theirs = select(Post.id).where(*by_author).limit(AUTHOR_PROBES + 1).subquery()
    return (session.scalar(select(func.count()).select_from(theirs)) or 0) <= AUTHOR_PROBES


def _author_tokens(authors: list[int]) -> str:
    """The FTS5 phrases of the authors' index tokens, in turn (AUTHOR_MARK then the member id, as
    "<U+E000>12" OR "<U+E000>13"). FTS5 walks the authors' short lists and the text's together,
    each skipping ahead to the other: a common word's list is not walked whole to find the posts
    of a few members."""
    return " OR ".join(f'"{AUTHOR_MARK}{member_id}"' for member_id in authors)


def _matches_sqlite(session: Session, expression: str, request: SearchRequest, tz: ZoneInfo,
                    authors: list[int] | None, probe: bool, tokens: bool) -> list[Any]:
    """(rowid, highlighted title, highlighted text, sizes) of the newest visible matches."""
    if tokens and authors is not None:
        expression = f"({expression}) AND author:({_author_tokens(authors)})"
    return list(session.execute(
        _filtered(
            select(_fts.c.rowid, func.highlight(_fts_name, 0, START, STOP), func.highlight(_fts_name, 1, START, STOP),
                   _docsize.c.sz)
            .select_from(_fts)
            .join(_docsize, _docsize.c.id == _fts.c.rowid)
            .join(Post, Post.id == _fts.c.rowid)
            .join(Topic, Topic.id == Post.topic_id),
            request, tz, authors, probe, tokens,
        )
        .where(_fts_name.op("MATCH")(expression))
        # Probing: SQLite sorts the few rows; FTS5 asked for descending order would seek each post
        # backwards, 5x slower.
        .order_by(_fts_rowid_unindexed.desc() if probe else _fts.c.rowid.desc())
        .limit(CANDIDATES + 1)
    ))


@dataclass(frozen=True)
class _ScoredTerm:
    words: tuple[str, ...]  # folded: lower case, no diacritics, like the tokenizer
    prefix: bool  # the last word also matches longer words


def _fold(text: str) -> str:
    """What `unicode61 remove_diacritics 2` keeps of a word: lower case, no diacritics."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()


def _scored_terms(text: str) -> list[_ScoredTerm]:
    """The wanted (not excluded) terms of a query, as fts5_query() matches them."""
    groups = parse_query(text)
    last = groups[-1][-1]
    terms: list[_ScoredTerm] = []
    for group in groups:
        for term in group:
            if term.negated:
                continue
            scored = _ScoredTerm(tuple(_fold(w) for w in term.words),
                                 term is last and not term.phrase and len(term.words[-1]) >= 3)
            if scored not in terms:
                terms.append(scored)
    return terms


def _frequencies(highlighted: str, terms: list[_ScoredTerm], folded: dict[str, tuple[str, ...]]) -> dict[_ScoredTerm, int]:
    """How often each term is marked in a highlighted column (`folded`: spans already folded)."""
    counts = dict.fromkeys(terms, 0)
    for span in _MARKED.findall(highlighted):
        words = folded.get(span)
        if words is None:
            words = folded[span] = tuple(_fold(w) for w in _WORD.findall(span))
        for term in terms:
            if words == term.words or (
                term.prefix and len(words) == len(term.words) and words[:-1] == term.words[:-1]
                and words[-1].startswith(term.words[-1])
            ):
                counts[term] += 1
                break
    return counts


_MARKED = re.compile(f"{START}([^{STOP}]*){STOP}")


def _index_totals(session: Session) -> tuple[int, float]:
    """(rows in the index, average words of a row's title and text) from FTS5's averages record
    (id 1 of its data table: varints, the row count then each column's word count)."""
    block = session.scalar(text(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1"))
    values: list[int] = []
    position = 0
    while block and position < len(block):
        value, position = _varint(block, position)
        values.append(value)
    if not values or values[0] == 0:
        return 1, 1.0
    return values[0], max(sum(values[1:3]) / values[0], 1.0)


def _words(data: bytes | None) -> int:
    """The words of a row's title and text: FTS5's docsize record is one varint per column
    (title, body, then the author's token)."""
    if data and max(data) < 0x80:
        return sum(data[:2])  # every column under 128 words: one byte each, the usual case
    total, position = 0, 0
    for _ in range(2):
        if not data or position >= len(data):
            break
        value, position = _varint(data, position)
        total += value
    return total


def _varint(data: bytes, position: int) -> tuple[int, int]:
    """SQLite's variable-length integer, as FTS5 writes it: big-endian 7-bit groups, the 9th byte whole."""
    value = 0
    for index in range(9):
        byte = data[position + index]
        if index == 8:
            return (value << 8) | byte, position + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, position + index + 1
    raise AssertionError("unreachable")


def _idf(found: int, rows_in_index: int) -> float:
    """BM25's inverse document frequency of a term held by `found` rows (an estimate at scale,
    see _document_frequencies)."""
    idf = math.log((rows_in_index - found + 0.5) / (found + 0.5))
    return idf if idf > 0 else 1e-6  # as FTS5's bm25(): a word in most rows still counts a little


def _document_frequencies(session: Session, phrases: dict[_ScoredTerm, str], rows_in_index: int) -> dict[_ScoredTerm, int]:
    """How many rows of the index hold each term (its FTS5 phrase given), for its weight.

    Counting a common word's rows is a pass over its whole list (~300 000 entries for a word in a
    third of a million posts). So each term is counted among the newest IDF_WINDOW rows of the
    index only, and its share there stands for its share everywhere: the cost stays that of a
    forum of IDF_WINDOW posts, and the estimate is exact in a smaller one. A term found fewer than
    IDF_MIN_SAMPLE times there is rare or old: it is counted everywhere (up to IDF_COUNT_CAP rows,
    cheap for a rare word), rather than guessed from a handful.
    """
    floor = None
    if rows_in_index > IDF_WINDOW:
        floor = session.scalar(select(_docsize.c.id).order_by(_docsize.c.id.desc()).offset(IDF_WINDOW - 1).limit(1))
    found = {}
    for term, phrase in phrases.items():
        if floor is None:
            found[term] = _count(session, phrase)
            continue
        sample = _count(session, phrase, since=floor)
        found[term] = (min(rows_in_index, round(sample * rows_in_index / IDF_WINDOW)) if sample >= IDF_MIN_SAMPLE
                       else _count(session, phrase, IDF_COUNT_CAP))
    return found


def _count(session: Session, phrase: str, cap: int | None = None, since: int | None = None) -> int:
    """The rows of the index matching an FTS5 expression (with rowid `since` or more), up to `cap`."""
    matches: Select[Any] = select(literal_column("1")).select_from(_fts).where(_fts_name.op("MATCH")(phrase))
    if since is not None:
        matches = matches.where(_fts.c.rowid >= since)
    if cap is not None:
        matches = matches.limit(cap)
    return session.scalar(select(func.count()).select_from(matches.subquery())) or 0


def snippet(highlighted: str, words: int = SNIPPET_WORDS) -> str:
    """About `words` words of a highlighted text, around its densest run of matches, with "…" where
    it was cut (what FTS5's snippet() gives, computed from the text already read)."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(highlighted)]
    if len(spans) <= words:
        return highlighted
    is_match = []
    inside = False
    position = 0
    for start, _end in spans:
        for char in highlighted[position:start]:
            if char == START:
                inside = True
            elif char == STOP:
                inside = False
        is_match.append(inside)
        position = start
    best, best_count = 0, -1
    window = sum(is_match[:words])
    for first in range(len(spans) - words + 1):
        if first:
            window += is_match[first + words - 1] - is_match[first - 1]
        if window > best_count:
            best, best_count = first, window
    if best_count > 0:  # start a few words before the window's first match, for context
        first_match = is_match.index(True, best)
        best = max(0, min(first_match - words // 4, len(spans) - words))
    start = spans[best][0]
    if start and highlighted[start - 1] == START:
        start -= 1
    end = spans[best + words - 1][1]
    if end < len(highlighted) and highlighted[end] == STOP:
        end += 1
    return ("…" if best else "") + highlighted[start:end] + ("…" if best + words < len(spans) else "")


# --- PostgreSQL ----------------------------------------------------------------------------------


def _candidates_postgresql(session: Session, request: SearchRequest, tz: ZoneInfo,
                           authors: list[int] | None) -> list[_Candidate]:
    """The most recent matches (at most CANDIDATES + 1), ranked by ts_rank (title TITLE_WEIGHT times).

    Two branches, each ordered by descending id and limited: posts whose text matches, first posts
    whose topic's title matches. Each lets the planner choose between the GIN index (a rare word)
    and walking the primary key backwards, testing the stored vector (a common word: the first
    CANDIDATES matches come quickly); ts_rank then reads only the candidates' vectors.

    The text branch runs first. When it fills the window, the newest CANDIDATES + 1 matches all
    have an id at least its last one's, so the title branch only looks above that id: without the
    bound it read every topic whose title matches (1 100 topics for `campagne` at 1 M posts, a
    handful at 10 k) to keep the newest; with it, the few first posts of the same span."""
    query = websearch_to_tsquery(PG_CONFIG, request.text)
    post_vector = literal_column(f"posts.{VECTOR_COLUMN}", TSVECTOR)
    topic_vector = literal_column(f"topics.{VECTOR_COLUMN}", TSVECTOR)
    in_text = _filtered(select(Post.id).join(Topic, Topic.id == Post.topic_id), request, tz, authors) \
        .where(post_vector.op("@@")(query)).order_by(Post.id.desc()).limit(CANDIDATES + 1)
    text_ids = list(session.scalars(in_text))
    in_title = _filtered(select(Post.id).join(Topic, Topic.id == Post.topic_id), request, tz, authors) \
        .where(Post.number == 1, topic_vector.op("@@")(query)).order_by(Post.id.desc()).limit(CANDIDATES + 1)
    if len(text_ids) > CANDIDATES:
        in_title = in_title.where(Post.id >= text_ids[-1])
    newest = sorted(set(text_ids).union(session.scalars(in_title)), reverse=True)[:CANDIDATES + 1]
    if not newest:
        return []
    text_rank = case((post_vector.op("@@")(query), func.ts_rank(post_vector, query, 1)), else_=0.0)
    # The topic read for first posts only, by its key (joined, the planner hashed every topic).
    title_rank = case((Post.number == 1, select(
        case((topic_vector.op("@@")(query), func.ts_rank(topic_vector, query, 1) * TITLE_WEIGHT), else_=0.0)
    ).where(Topic.id == Post.topic_id).scalar_subquery()), else_=0.0)
    rows = session.execute(
        select(Post.id, text_rank + title_rank)
        .where(Post.id == any_(bindparam("ids", newest, type_=ARRAY(Integer))))
        .order_by(Post.id.desc())
    ).all()
    return [_Candidate(post_id, float(rank)) for post_id, rank in rows]


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
        return name in (FTS_TABLE, VOCAB_TABLE) or name in FTS_SHADOW_TABLES
    if type_ == "column":
        return name == VECTOR_COLUMN and table_name in VECTOR_INDEXES
    if type_ == "index":
        return name in VECTOR_INDEXES.values() or name in NAME_INDEXES
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: the search index is not in the models, on purpose, so
    autogenerate (and the test comparing head with the models) must not report it."""
    table = parent_names.get("table_name") if isinstance(parent_names, dict) else None
    return not is_index_object(type_, name, table)
