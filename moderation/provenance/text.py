"""Text helpers shared by the checks: matching, dates, French wording, suspicious characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

NBSP = "\u00a0"  # before a colon, inside guillemets, between a number and its unit
NNBSP = "\u202f"  # narrow no-break space before ; ! ?

# --------------------------------------------------------------------------
# French wording
# --------------------------------------------------------------------------

_TYPO_COLON = re.compile(r" :")
_TYPO_TIGHT = re.compile(r" ([;!?])")


def fr(template: str, /, **values: object) -> str:
    """Fill a French message template, applying French spacing to the template only.

    The template is written with ordinary spaces (« x », a : b); they become
    no-break spaces here, before user values are inserted, so that a URL or a
    name given by the author is never altered.
    """
    typo = _typography(template)
    return typo.format(**values) if values else typo


@lru_cache(maxsize=512)
def _typography(template: str) -> str:
    typo = _TYPO_COLON.sub(NBSP + ":", template)
    typo = _TYPO_TIGHT.sub(NNBSP + r"\1", typo)
    return typo.replace("« ", "«" + NBSP).replace(" »", NBSP + "»")


def guillemets(value: str) -> str:
    """Quote a user value the French way."""
    return f"«{NBSP}{value}{NBSP}»"


MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def format_day(d: date) -> str:
    """``3 mars 2012``, ``1er mai 2012``."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day}{NBSP}{MONTHS_FR[d.month - 1]} {d.year}"


def format_instant(dt: datetime) -> str:
    """A moment in Paris time, in French: ``3 mars 2012 à 22 h 42``."""
    local = dt.astimezone(PARIS)
    return f"{format_day(local.date())} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"


# --------------------------------------------------------------------------
# Declared dates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredTime:
    """When something was said, as an interval of aware datetimes.

    A datetime gives a zero-length interval; a date gives the whole day in
    Europe/Paris (start inclusive, end exclusive).
    """

    start: datetime
    end: datetime
    date_only: bool

    def distance(self, instant: datetime) -> timedelta:
        """How far ``instant`` is from the declared moment (zero inside a declared day)."""
        if instant < self.start:
            return self.start - instant
        if instant > self.end:
            return instant - self.end
        return timedelta(0)

    def describe(self) -> str:
        """The declared value in French, as the author typed it."""
        if self.date_only:
            return format_day(self.start.astimezone(PARIS).date())
        return format_instant(self.start)


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_aware(dt: datetime) -> datetime:
    """Attach Europe/Paris to a naive datetime (the forum's local time)."""
    return dt.replace(tzinfo=PARIS) if dt.tzinfo is None else dt


def parse_said_at(value: str | date | datetime | None) -> DeclaredTime | None:
    """Read a declared date; None when absent, ValueError when unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = as_aware(value)
        return DeclaredTime(dt, dt, False)
    if isinstance(value, date):
        return _day(value)
    if not isinstance(value, str):
        raise ValueError("said_at must be an ISO 8601 string, a date or a datetime")
    text = value.strip()
    if not text:
        return None
    if _DATE_ONLY.fullmatch(text):
        return _day(date.fromisoformat(text))
    dt = as_aware(datetime.fromisoformat(text))
    return DeclaredTime(dt, dt, False)


def _day(d: date) -> DeclaredTime:
    start = datetime.combine(d, time(0), tzinfo=PARIS)
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=PARIS)
    return DeclaredTime(start, end, True)


def utc_from_ms(ms: int) -> datetime | None:
    """Milliseconds since the Unix epoch as an aware UTC datetime, None if out of range."""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------
# Matching a quoted text against its original
# --------------------------------------------------------------------------

# Elision marks: "[…]" and "[...]" (and the "(…)" many French writers use).
_ELISION = re.compile(r"\[\s*(?:…|\.\s?\.\s?\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\)")
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M)
_WS = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([:;!?,.»\")])")
_SPACE_AFTER_OPEN = re.compile(r"([«(\"])\s+")
_PUNCT = str.maketrans({
    "’": "'", "‘": "'", "ʼ": "'", "´": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‹": '"', "›": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-",
})
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_LINE_PREFIX = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d{1,3}[.)][ \t]+)", re.M)
_MD_MARKS = re.compile(r"\*+|_+|~~|`+")


def strip_invisible(text: str) -> str:
    """Remove zero-width and bidi control characters."""
    return _INVISIBLE.sub("", text)


def normalise_for_match(text: str, *, markdown: bool = False) -> str:
    """Canonical form used to find a quote inside its original.

    Unicode compatibility forms, typographic quotes and apostrophes, spacing
    around punctuation (French or not), line wrapping and "> " reply prefixes
    are all made uniform; with ``markdown`` the Markdown syntax is dropped so
    that text copied from the rendered page matches the source.
    """
    text = unicodedata.normalize("NFKC", text)
    text = strip_invisible(text)
    text = _QUOTE_PREFIX.sub("", text)
    if markdown:
        text = _MD_IMAGE.sub(r"\1", text)
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_LINE_PREFIX.sub("", text)
        text = _MD_MARKS.sub("", text)
    text = text.translate(_PUNCT)
    text = _WS.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    return text.strip()


def quote_pieces(text: str, *, markdown: bool = False) -> list[str]:
    """The quote cut at its elision marks, each piece normalised; empty pieces dropped."""
    pieces = (normalise_for_match(p, markdown=markdown) for p in _ELISION.split(text))
    return [p for p in pieces if p]


def has_elision(text: str) -> bool:
    """Whether the quote marks an elision."""
    return _ELISION.search(text) is not None


def _find_words(haystack: str, piece: str, start: int) -> int:
    """First occurrence of ``piece`` at or after ``start`` that does not cut a word in two."""
    # "t" must not be found inside "autre", nor "alliance" inside "alliances".
    check_left = piece[:1].isalnum()
    check_right = piece[-1:].isalnum()
    found = haystack.find(piece, start)
    while found >= 0:
        end = found + len(piece)
        left_ok = not check_left or found == 0 or not haystack[found - 1].isalnum()
        right_ok = not check_right or end == len(haystack) or not haystack[end].isalnum()
        if left_ok and right_ok:
            return found
        found = haystack.find(piece, found + 1)
    return -1


def contains_in_order(haystack: str, pieces: Sequence[str]) -> bool:
    """Whether every piece occurs in ``haystack`` as whole words, in order and without overlap."""
    if not pieces:
        return False
    pos = 0
    for piece in pieces:
        found = _find_words(haystack, piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def quote_found_in(quote_text: str, original: str, *, markdown: bool = False) -> bool:
    """Whether the quote (with its elisions) is taken verbatim, in order, from ``original``."""
    return contains_in_order(
        normalise_for_match(original, markdown=markdown),
        quote_pieces(quote_text, markdown=markdown),
    )


# --------------------------------------------------------------------------
# Suspicious characters
# --------------------------------------------------------------------------

# Zero-width characters, bidi controls and other invisible fillers that let a
# handle or a link look like another one.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]"
)


def invisible_characters(text: str) -> list[str]:
    """The invisible or bidi characters in ``text``, as ``U+200B`` labels, in order, unique."""
    seen: dict[str, None] = {}
    for m in _INVISIBLE.finditer(text):
        seen.setdefault(f"U+{ord(m.group()):04X}", None)
    return list(seen)


# Letters that Unicode names without their script but that belong with Latin.
_LATIN_EXTRAS = frozenset("ªº")
# Scripts that are routinely written together inside one word.
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK", "CJK": "CJK", "IDEOGRAPHIC": "CJK"}
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=4096)
def _script(ch: str) -> str | None:
    """The script of a letter (first word of its Unicode name), None for non-letters."""
    if not ch.isalpha():
        return None
    if ch in _LATIN_EXTRAS:
        return "LATIN"
    try:
        first = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None
    if first == "MODIFIER":
        return None
    return _SCRIPT_GROUPS.get(first, first)


def mixed_script_words(text: str) -> list[str]:
    """Words of ``text`` whose letters come from more than one script (e.g. Latin + Cyrillic)."""
    out = []
    for word in _WORD.findall(text):
        if word.isascii():
            continue  # fast path: pure ASCII cannot mix scripts
        scripts = {s for s in map(_script, word) if s}
        if len(scripts) > 1:
            out.append(word)
    return out


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order, without repeats."""
    return list(dict.fromkeys(items))
