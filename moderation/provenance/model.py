"""Data objects exchanged with the provenance checker.

These are plain dataclasses so that the web form, the command line and the
tests build the same objects; nothing here touches the web or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Literal

#: The kinds of quote a member can attach to a post.
KINDS: tuple[str, ...] = (
    "tweet",
    "social",
    "email",
    "sms",
    "article",
    "video",
    "internal",
    "document",
)

#: Moderation policies of a category: only "debate" adds the image rules.
CATEGORIES: tuple[str, ...] = ("debate", "general")

Severity = Literal["block", "hold", "info"]
SEVERITIES: tuple[str, ...] = ("block", "hold", "info")

#: Every finding code with its severity: a stable, published list (the web UI may key labels on it).
CODES: dict[str, str] = {
    # block: the form is refused, nothing is published
    "quote_kind_unknown": "block",
    "text_missing": "block",
    "context_missing": "block",
    "said_at_invalid": "block",
    "source_url_malformed": "block",
    "archive_url_malformed": "block",
    "internal_post_not_found": "block",
    "internal_text_not_found": "block",
    # hold: saved, shown as "en attente", queued for moderation
    "author_missing": "hold",
    "said_at_missing": "hold",
    "said_at_in_future": "hold",
    "source_missing": "hold",
    "invisible_character": "hold",
    "mixed_script": "hold",
    "punycode_host": "hold",
    "tweet_url_missing": "hold",
    "tweet_url_invalid": "hold",
    "tweet_handle_missing": "hold",
    "tweet_handle_mismatch": "hold",
    "tweet_date_mismatch": "hold",
    "archive_source_mismatch": "hold",
    "archive_before_said_at": "hold",
    "archive_url_invalid": "hold",
    "email_unreadable": "hold",
    "email_from_missing": "hold",
    "email_from_mismatch": "hold",
    "email_date_missing": "hold",
    "email_date_mismatch": "hold",
    "email_text_not_found": "hold",
    "dkim_invalid": "hold",
    "internal_post_unchecked": "hold",
    "quote_compilation": "hold",
    "pasted_tweet": "hold",
    "pasted_email": "hold",
    "image_description_missing": "hold",
    "image_source_missing": "hold",
    # info: a badge on the quote's card
    "tweet_handle_consistent": "info",
    "tweet_handle_unchecked": "info",
    "tweet_date_consistent": "info",
    "tweet_date_unchecked": "info",
    "archive_consistent": "info",
    "archive_date_unchecked": "info",
    "archive_unchecked": "info",
    "archive_unrecognised": "info",
    "email_unverified": "info",
    "email_from_consistent": "info",
    "email_date_consistent": "info",
    "email_text_found": "info",
    "dkim_absent": "info",
    "dkim_not_checked": "info",
    "dkim_key_unavailable": "info",
    "dkim_weak_key": "info",
    "dkim_valid": "info",
    "dkim_valid_other_domain": "info",
    "dkim_expired": "info",
    "dkim_partial_body": "info",
    "internal_text_found": "info",
    "internal_text_in_older_revision": "info",
}

#: Quote fields a finding may point at (the web form shows it beside them).
QUOTE_FIELDS: tuple[str, ...] = (
    "kind",
    "author",
    "handle",
    "said_at",
    "source_url",
    "archive_url",
    "context",
    "text",
    "attachment",
)


@dataclass(frozen=True)
class Attachment:
    """An uploaded file: its bytes and the name it was uploaded under.

    ``description`` and ``source`` only matter for images attached to the post
    body itself (the alt text and where the picture comes from); for a quote's
    attachment the quote's own context and links play that role.
    """

    filename: str
    data: bytes
    content_type: str | None = None
    description: str = ""
    source: str = ""


@dataclass
class Quote:
    """A structured quote, as entered in the post form.

    ``said_at`` is an ISO 8601 date or datetime (string, ``date`` or
    ``datetime``); a naive value is read as Europe/Paris time. ``attachment``
    is an Attachment (a ``(bytes, filename)`` pair is converted to one); None
    in a text field means empty.

    Internal quotes (kind ``"internal"``) point to a forum post. The checker
    never reads the database: the caller gives the quoted post's revision
    texts either directly in ``quoted_text`` (a string, or a sequence of
    strings: the current revision first, then older ones) or through the
    ``quoted_post_lookup`` callable passed to ``check_draft``, which receives
    this Quote (``quoted_post`` carries the post's identifier for that
    purpose). ``quoted_text`` wins when both are present.
    """

    kind: str
    text: str = ""
    context: str = ""
    author: str = ""
    handle: str = ""
    said_at: str | date | datetime | None = None
    source_url: str = ""
    archive_url: str = ""
    attachment: Attachment | None = None
    quoted_post: str | int | None = None
    quoted_text: str | Sequence[str] | None = None

    def __post_init__(self) -> None:
        # Forms and JSON give None for empty fields; the checks expect strings.
        for name in ("text", "context", "author", "handle", "source_url", "archive_url"):
            if getattr(self, name) is None:
                setattr(self, name, "")
        # Accept a plain (bytes, filename) pair for the attachment.
        if isinstance(self.attachment, tuple):
            first, second = self.attachment
            data, filename = (first, second) if isinstance(first, bytes) else (second, first)
            self.attachment = Attachment(filename=filename, data=data)


@dataclass
class Draft:
    """A post being written: its Markdown body, its category policy, its quotes.

    ``attachments`` are files attached to the body itself (not to a quote);
    in a debate category the images among them need a description and a source.
    """

    body: str = ""
    category: str = "general"
    quotes: list[Quote] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category policy {self.category!r}; expected one of {CATEGORIES}")


@dataclass(frozen=True)
class Finding:
    """One result of the checker.

    ``code`` is a stable snake_case identifier, ``severity`` one of
    ``"block"``, ``"hold"`` or ``"info"``, ``message`` a French sentence telling
    the author what to add or fix. ``quote_index`` (position in
    ``Draft.quotes``) and ``field`` (a name from ``QUOTE_FIELDS``) say where the
    web form should show it; both are None for findings about the body.
    """

    code: str
    severity: Severity
    message: str
    quote_index: int | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by the command (code, severity, message, quote_index, field)."""
        return asdict(self)
