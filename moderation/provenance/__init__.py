"""Quote provenance checker: pure code, no web, no database.

``check_draft(draft)`` takes a post's Markdown body, its category policy and
its structured quotes, and returns findings (code, severity, French message).
Severity decides the flow: "block" refuses the form, "hold" sends the post to
the moderation queue, "info" is a badge on the quote's card.
"""

from .checker import check_draft, check_quote
from .model import CATEGORIES, CODES, KINDS, QUOTE_FIELDS, SEVERITIES, Attachment, Draft, Finding, Quote

__all__ = [
    "CATEGORIES",
    "CODES",
    "KINDS",
    "QUOTE_FIELDS",
    "SEVERITIES",
    "Attachment",
    "Draft",
    "Finding",
    "Quote",
    "check_draft",
    "check_quote",
    "is_blocking",
    "is_held",
]


def is_blocking(findings: list[Finding]) -> bool:
    """Whether the form must be refused."""
    return any(f.severity == "block" for f in findings)


def is_held(findings: list[Finding]) -> bool:
    """Whether the post goes to the moderation queue (or is refused) rather than published."""
    return any(f.severity in ("block", "hold") for f in findings)
