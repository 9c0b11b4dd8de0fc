"""Internal quotes: the quoted words must be in the quoted forum post (current or older revision)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .model import Finding, Quote
from .text import fr, quote_found_in

#: ``quoted_post_lookup(quote)`` returns the quoted post's revision texts
#: (Markdown sources, the current revision first), a single text, or None
#: when the post does not exist or cannot be read by the author.
QuotedPostLookup = Callable[[Quote], "str | Sequence[str] | None"]


def _revisions(quote: Quote, lookup: QuotedPostLookup | None) -> tuple[bool, list[str]]:
    """(whether anything was provided, the revision texts)."""
    source = quote.quoted_text
    if source is None and lookup is not None:
        source = lookup(quote)
        if source is None:
            return True, []
    if source is None:
        return False, []
    if isinstance(source, str):
        return True, [source]
    return True, [s for s in source if isinstance(s, str)]


def check_internal(quote: Quote, index: int, lookup: QuotedPostLookup | None) -> list[Finding]:
    """Block an internal quote whose text is not, verbatim and in order, in the quoted post."""
    if not quote.text.strip():
        return []  # text_missing already blocks
    provided, revisions = _revisions(quote, lookup)
    if not provided:
        return [Finding(
            "internal_post_unchecked", "hold",
            fr("Le message cité n’a pas pu être relu : la citation sera vérifiée par la modération."),
            index, "source_url",
        )]
    if not revisions:
        return [Finding(
            "internal_post_not_found", "block",
            fr("Le message cité est introuvable : vérifiez le lien vers le message du forum."),
            index, "source_url",
        )]
    for position, revision in enumerate(revisions):
        if quote_found_in(quote.text, revision, markdown=True):
            if position == 0:
                return [Finding(
                    "internal_text_found", "info",
                    fr("citation conforme au message cité"),
                    index, "text",
                )]
            return [Finding(
                "internal_text_in_older_revision", "info",
                fr("citation conforme à une version antérieure du message cité, modifié depuis"),
                index, "text",
            )]
    return [Finding(
        "internal_text_not_found", "block",
        fr("Le texte cité ne figure pas dans le message cité, ni dans ses versions antérieures. "
           "Recopiez-le mot pour mot, dans l’ordre, et marquez chaque coupure par « […] »."),
        index, "text",
    )]
