"""Archive links (Wayback Machine, archive.today): what they archive, and when."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .model import Finding, Quote
from .text import DeclaredTime, format_instant, fr
from .urls import same_resource

#: A declared time of day may be this much later than the capture (a time read
#: in another time zone, summer time); beyond it the archive predates the words.
#: A declared day has no such slack: the capture must fall on or after that day.
ARCHIVE_SLACK = timedelta(hours=2)

_WAYBACK = re.compile(
    r"^(?:https?://)?(?:web|wayback)\.archive\.org/web/"
    r"(?P<ts>\d{1,14}|\*)(?:[a-z]{2}_|\*)?/(?P<url>\S+)$",
    re.I,
)
_ARCHIVE_TODAY = re.compile(
    r"^(?:https?://)?(?:www\.)?archive\.(?:today|ph|is|li|vn|fo|md)"
    r"/(?P<rest>[^\s]*)$",
    re.I,
)
# archive.today accepts 20120303224200 and 2012.03.03-224200, or newest/oldest.
_TODAY_DATED = re.compile(r"^(?P<ts>\d{4}(?:[.-]?\d{2}){0,5}|newest|oldest)/(?P<url>\S+)$", re.I)


@dataclass(frozen=True)
class ArchiveLink:
    """What an archive URL says: the archived URL and the capture time if it is precise."""

    service: str
    archived_url: str
    captured_at: datetime | None


class UnreadableArchive(Exception):
    """The link is on an archive service but does not say what it archived (a short id)."""


class ImpossibleTimestamp(ValueError):
    """The archive link's timestamp is not a real date (month 13, 31 February…)."""


def parse_archive_url(url: str) -> ArchiveLink | None:
    """Read a Wayback or archive.today link; None for another site.

    Raises UnreadableArchive for an archive.today short id (``archive.ph/AbCd1``),
    which does not say what it archived, and ImpossibleTimestamp for a date
    that does not exist.
    """
    url = url.strip()
    m = _WAYBACK.match(url)
    if m:
        return ArchiveLink("Wayback Machine", m.group("url"), _timestamp(m.group("ts")))
    m = _ARCHIVE_TODAY.match(url)
    if not m:
        return None
    rest = m.group("rest")
    dated = _TODAY_DATED.match(rest)
    if dated:
        return ArchiveLink("archive.today", dated.group("url"), _timestamp(dated.group("ts")))
    raise UnreadableArchive(rest)


def _timestamp(raw: str) -> datetime | None:
    digits = re.sub(r"\D", "", raw)
    if len(digits) != 14:
        return None  # "closest to" lookups: no precise capture time
    try:
        # Slicing is much faster than strptime and the shape is fixed.
        return datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]),
                        int(digits[10:12]), int(digits[12:14]), tzinfo=UTC)
    except ValueError as exc:
        raise ImpossibleTimestamp(raw) from exc


def check_archive(quote: Quote, index: int, declared: DeclaredTime | None, now: datetime) -> list[Finding]:
    """The archive must archive the declared source, and not before the words were said."""
    url = quote.archive_url.strip()
    if not url:
        return []
    try:
        link = parse_archive_url(url)
    except ImpossibleTimestamp as exc:
        return [Finding(
            "archive_url_invalid", "hold",
            fr("La date de capture du lien d’archive ({raw}) n’existe pas : vérifiez le lien.", raw=str(exc)),
            index, "archive_url",
        )]
    except UnreadableArchive:
        return [Finding(
            "archive_unchecked", "info",
            fr("Lien d’archive abrégé : il ne dit ni la page archivée ni la date de capture, "
               "il n’a pas pu être vérifié. Préférez le lien long (archive.ph/AAAAMMJJhhmmss/adresse)."),
            index, "archive_url",
        )]
    if link is None:
        return [Finding(
            "archive_unrecognised", "info",
            fr("Ce lien d’archive ne vient ni de la Wayback Machine (web.archive.org) "
               "ni d’archive.today : il n’a pas pu être vérifié."),
            index, "archive_url",
        )]
    findings: list[Finding] = []
    source = quote.source_url.strip()
    if source and not same_resource(link.archived_url, source):
        findings.append(Finding(
            "archive_source_mismatch", "hold",
            fr("L’archive porte sur une autre page ({archived}) que la source déclarée ({source}) : "
               "archivez la source elle-même ou corrigez le lien.",
               archived=link.archived_url, source=source),
            index, "archive_url",
        ))
    captured = link.captured_at
    if captured is None:
        findings.append(Finding(
            "archive_date_unchecked", "info",
            fr("Le lien d’archive ne donne pas de date de capture précise : "
               "sa date n’a pas pu être comparée à la date déclarée."),
            index, "archive_url",
        ))
    elif captured > now + timedelta(days=1):
        findings.append(Finding(
            "archive_url_invalid", "hold",
            fr("La date de capture de l’archive ({when}) est dans le futur : vérifiez le lien.",
               when=format_instant(captured)),
            index, "archive_url",
        ))
    elif declared is not None and captured < declared.start - (timedelta(0) if declared.date_only else ARCHIVE_SLACK):
        findings.append(Finding(
            "archive_before_said_at", "hold",
            fr("L’archive a été capturée le {when}, avant la date déclarée ({declared}) : "
               "une page ne peut pas être archivée avant d’avoir été écrite. "
               "Corrigez la date ou le lien d’archive.",
               when=format_instant(captured), declared=declared.describe()),
            index, "archive_url",
        ))
    if not any(f.severity == "hold" for f in findings):
        when = f", capturée le {format_instant(captured)}" if captured else ""
        checked = "la source déclarée" if source else link.archived_url
        findings.insert(0, Finding(
            "archive_consistent", "info",
            fr("archive de {checked} ({service}{when})", checked=checked, service=link.service, when=when),
            index, "archive_url",
        ))
    return findings
