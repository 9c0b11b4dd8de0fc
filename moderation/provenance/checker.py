"""The entry point: run every provenance check on a draft and return its findings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .archives import check_archive
from .emails import DnsSource, check_email
from .images import check_body_images, check_quote_image
from .internal import QuotedPostLookup, check_internal
from .model import KINDS, Draft, Finding, Quote
from .text import DeclaredTime, as_aware, fr, guillemets, invisible_characters, mixed_script_words, parse_said_at
from .tweets import check_tweet, is_twitter_url
from .unstructured import check_compilation, scan_body
from .urls import host_of, is_http_url, suspicious_url_parts

_BODY_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.I)
#: A declared date may be ahead of the clock by this much (time zones) before it is "future".
_FUTURE_SLACK = timedelta(days=1)


def check_draft(
    draft: Draft,
    *,
    dns: DnsSource | None = None,
    quoted_post_lookup: QuotedPostLookup | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Check a draft's body and quotes; return findings in a stable order (body first, then quotes).

    ``dns`` enables DKIM verification of attached .eml files: a mapping from
    DNS name (``"sel._domainkey.example.org."``, trailing dot optional) to the
    TXT value, or a function ``(name: bytes, timeout=…) -> bytes | None``
    (``dkim.dnsplug.get_txt`` for live DNS). Without it, DKIM is reported as
    not checked.

    ``quoted_post_lookup(quote)`` gives an internal quote's post revisions
    (Markdown sources, the current one first) or None when the post does not
    exist; ``Quote.quoted_text`` can carry them instead. The checker never
    touches the database itself.

    ``now`` (default: the current time; naive means Europe/Paris) is used to
    reject dates and tweet ids from the future.

    Nothing is held or blocked when no finding has severity "hold" or "block".
    """
    now = as_aware(now) if now is not None else datetime.now(UTC)
    findings: list[Finding] = []
    findings += scan_body(draft.body)
    findings += _check_body_links(draft.body)
    if draft.category == "debate":
        findings += check_body_images(draft.body, draft.attachments)
    for index, quote in enumerate(draft.quotes):
        findings += check_quote(
            quote, index, category=draft.category, dns=dns, quoted_post_lookup=quoted_post_lookup, now=now,
        )
    return list(dict.fromkeys(findings))  # drop exact duplicates, keep order


def check_quote(
    quote: Quote,
    index: int,
    *,
    category: str = "general",
    dns: DnsSource | None = None,
    quoted_post_lookup: QuotedPostLookup | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Every check on one quote (``index`` is its position in the draft)."""
    now = as_aware(now) if now is not None else datetime.now(UTC)
    findings = _required_fields(quote, index)
    known_kind = quote.kind in KINDS
    internal = quote.kind == "internal"

    declared: DeclaredTime | None = None
    try:
        declared = parse_said_at(quote.said_at)
    except (ValueError, TypeError):
        findings.append(Finding(
            "said_at_invalid", "block",
            fr("La date {value} n’est pas lisible : indiquez-la sous la forme AAAA-MM-JJ, "
               "éventuellement suivie de l’heure (2012-03-03T22:42).", value=guillemets(str(quote.said_at))),
            index, "said_at",
        ))
    else:
        if declared is None and not internal:
            findings.append(Finding(
                "said_at_missing", "hold",
                fr("Indiquez la date à laquelle ces mots ont été écrits ou prononcés."),
                index, "said_at",
            ))
        elif declared is not None and declared.start > now + _FUTURE_SLACK:
            findings.append(Finding(
                "said_at_in_future", "hold",
                fr("La date déclarée ({declared}) est dans le futur : corrigez-la.", declared=declared.describe()),
                index, "said_at",
            ))

    findings += _suspicious_fields(quote, index)
    source_ok, archive_ok = _url_fields(quote, index, findings)

    if not internal and not quote.source_url.strip() and quote.attachment is None:
        findings.append(Finding(
            "source_missing", "hold",
            fr("Indiquez le lien de la source (ou joignez le document d’origine) : une citation "
               "sans source ne peut pas être vérifiée."),
            index, "source_url",
        ))

    is_tweet = quote.kind == "tweet" and (quote.source_url.strip() or quote.attachment is not None)
    is_social_tweet = quote.kind == "social" and is_twitter_url(quote.source_url)
    if known_kind and source_ok and (is_tweet or is_social_tweet):
        findings += check_tweet(quote, index, declared, now)
    if archive_ok:
        findings += check_archive(quote, index, declared, now) if source_ok else []
    if quote.kind == "email":
        findings += check_email(quote, index, declared, dns)
    if internal:
        findings += check_internal(quote, index, quoted_post_lookup)
    elif quote.text.strip():
        findings += check_compilation(quote.text, index)
    if category == "debate":
        findings += check_quote_image(quote, index)
    return findings


def _required_fields(quote: Quote, index: int) -> list[Finding]:
    findings = []
    if quote.kind not in KINDS:
        findings.append(Finding(
            "quote_kind_unknown", "block",
            fr("Type de citation inconnu ({kind}) : choisissez tweet, réseau social, courriel, SMS, "
               "article, vidéo, message du forum ou document.", kind=guillemets(str(quote.kind))),
            index, "kind",
        ))
    if not quote.text.strip():
        findings.append(Finding(
            "text_missing", "block",
            fr("Recopiez le texte exact de la citation."),
            index, "text",
        ))
    if not quote.context.strip():
        findings.append(Finding(
            "context_missing", "block",
            fr("Donnez le contexte de la citation : où, quand, en réponse à quoi ces mots ont été "
               "écrits ou prononcés."),
            index, "context",
        ))
    if quote.kind != "internal" and not quote.author.strip() and not quote.handle.strip():
        findings.append(Finding(
            "author_missing", "hold",
            fr("Indiquez l’auteur de la citation (son nom ou son compte)."),
            index, "author",
        ))
    return findings


def _url_fields(quote: Quote, index: int, findings: list[Finding]) -> tuple[bool, bool]:
    """Block links that are not web addresses; say which links can be checked further."""
    source_ok = True
    source = quote.source_url.strip()
    # An internal quote may point to the forum with a relative link.
    if source and quote.kind != "internal" and not is_http_url(source):
        source_ok = False
        findings.append(Finding(
            "source_url_malformed", "block",
            fr("Le lien de la source doit être une adresse web complète (https://…)."),
            index, "source_url",
        ))
    archive = quote.archive_url.strip()
    archive_ok = bool(archive)
    if archive and not is_http_url(archive):
        archive_ok = False
        findings.append(Finding(
            "archive_url_malformed", "block",
            fr("Le lien d’archive doit être une adresse web complète (https://…)."),
            index, "archive_url",
        ))
    return source_ok, archive_ok


_FIELD_LABELS = {"handle": "le compte", "author": "l’auteur", "source_url": "le lien de la source",
                 "archive_url": "le lien d’archive"}


def _suspicious_fields(quote: Quote, index: int) -> list[Finding]:
    findings = []
    for name in ("handle", "author", "source_url", "archive_url"):
        value = getattr(quote, name) or ""
        if not value:
            continue
        if name.endswith("_url"):
            invisible, mixed, idn = suspicious_url_parts(value)
        else:
            invisible, mixed, idn = invisible_characters(value), mixed_script_words(value), False
        findings += _suspicious_findings(_FIELD_LABELS[name], value, invisible, mixed, idn, index, name)
    return findings


def _suspicious_findings(label: str, value: str, invisible: list[str], mixed: list[str], idn: bool,
                         index: int | None, field: str | None) -> list[Finding]:
    findings = []
    if invisible:
        findings.append(Finding(
            "invisible_character", "hold",
            fr("{label} contient des caractères invisibles ({chars}) qui peuvent le faire passer pour "
               "un autre : retapez-le.", label=label[0].upper() + label[1:], chars=", ".join(invisible)),
            index, field,
        ))
    if mixed:
        findings.append(Finding(
            "mixed_script", "hold",
            fr("{label} mélange plusieurs alphabets dans un même mot ({words}), par exemple une "
               "lettre cyrillique parmi des lettres latines : retapez-le.",
               label=label[0].upper() + label[1:], words=", ".join(guillemets(w) for w in mixed)),
            index, field,
        ))
    if idn:
        findings.append(Finding(
            "punycode_host", "hold",
            fr("{label} mène à un domaine écrit avec des caractères internationaux ({host}), "
               "qui peut imiter un site connu : vérifiez l’adresse.",
               label=label[0].upper() + label[1:], host=host_of(value)),
            index, field,
        ))
    return findings


def _check_body_links(body: str) -> list[Finding]:
    findings: list[Finding] = []
    for url in dict.fromkeys(_BODY_URL.findall(body)):
        invisible, mixed, idn = suspicious_url_parts(url)
        if invisible or mixed or idn:
            findings += _suspicious_findings(fr("le lien {url}", url=url), url, invisible, mixed, idn, None, None)
    return findings
