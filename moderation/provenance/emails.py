"""Email quotes: the uploaded raw message (.eml) against what the author declared.

The message is parsed with the standard library (``policy.default``), its DKIM
signature verified with dkimpy through an injectable DNS lookup so that no
network is needed (tests and offline moderation pass a mapping).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from .model import Attachment, Finding, Quote
from .text import DeclaredTime, format_instant, fr, guillemets, quote_found_in

#: How far the message's Date header may be from the declared date.
EMAIL_TOLERANCE = timedelta(hours=36)

#: A DNS TXT lookup as dkimpy calls it: name (bytes, with a trailing dot) -> TXT value or None.
DnsFunc = Callable[..., bytes | None]
#: What ``check_draft(dns=...)`` accepts: a map from DNS name to TXT value, or a lookup function.
DnsSource = Mapping[str, str | bytes | list[str]] | DnsFunc

_PARSER = BytesParser(policy=policy.default)
_EML_NAMES = (".eml",)
_HEADER_START = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+:[ \t]|From [^\r\n]*\r?\n)", re.M)
_TAG = re.compile(r"\s*([a-z]+)\s*=\s*([^;]*)")
_NAME_TOKEN = re.compile(r"[^\W_]+")
_DKIM_LOGGER = logging.getLogger("tribune.provenance.dkim")
_DKIM_LOGGER.addHandler(logging.NullHandler())
_DKIM_LOGGER.propagate = False  # dkimpy logs every failure at error level; we report it ourselves


def is_raw_email(attachment: Attachment) -> bool:
    """Whether the attachment looks like a raw message file (.eml) rather than a screenshot."""
    name = attachment.filename.lower()
    if name.endswith(_EML_NAMES) or attachment.content_type == "message/rfc822":
        return True
    # A raw message starts with header fields.
    return bool(_HEADER_START.match(attachment.data[:200]))


def parse_message(data: bytes) -> EmailMessage:
    """Parse a raw message with the standard library's modern policy."""
    return _PARSER.parsebytes(data)


# --------------------------------------------------------------------------
# Body text
# --------------------------------------------------------------------------

_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "td", "table", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "article", "header", "footer",
})
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})


class _HtmlText(HTMLParser):
    """Just the visible text of an HTML body, with line breaks at block boundaries."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        return content if isinstance(content, str) else ""
    except (LookupError, UnicodeError, ValueError, AssertionError):
        # Unknown or lying charset: decode what we can rather than give up.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def body_texts(msg: EmailMessage) -> list[str]:
    """The message's readable texts: all inline plain parts, then all HTML parts as text."""
    plain: list[str] = []
    html: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(html_to_text(_part_text(part)))
    return [t for t in ("\n".join(plain), "\n".join(html)) if t.strip()]


# --------------------------------------------------------------------------
# What the checks need from a message, parsed once per distinct file
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedEmail:
    """The parts of a raw message the checks look at."""

    senders: tuple[tuple[str, str], ...]  # (display name, address) from the From header
    sent: datetime | None  # the Date header, aware
    subject: str
    texts: tuple[str, ...]  # see body_texts
    dkim_signatures: tuple[str, ...]


_CACHE: OrderedDict[bytes, ParsedEmail | None] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = threading.Lock()


def read_email(data: bytes) -> ParsedEmail | None:
    """Parse a raw message (None when it is not one).

    The standard library's modern header parsing costs a few milliseconds; a
    draft is re-checked at every edit, so results are kept per content hash.
    """
    key = hashlib.sha256(data).digest()
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    parsed = _read_email(data)
    with _CACHE_LOCK:
        _CACHE[key] = parsed
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return parsed


def _read_email(data: bytes) -> ParsedEmail | None:
    try:
        msg = parse_message(data)
        from_header = msg.get("From")
        date_header = msg.get("Date")
        if from_header is None and date_header is None:
            return None
        senders = tuple((a.display_name, a.addr_spec) for a in getattr(from_header, "addresses", ()))
        sent = getattr(date_header, "datetime", None)
        if sent is not None and sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)  # "-0000": RFC 5322 says UTC, zone unknown
        return ParsedEmail(
            senders=senders,
            sent=sent,
            subject=str(msg.get("Subject", "") or ""),
            texts=tuple(body_texts(msg)),
            dkim_signatures=tuple(str(s) for s in msg.get_all("DKIM-Signature") or ()),
        )
    except Exception:  # noqa: BLE001 - an uploaded file may break the parser in any way
        return None


# --------------------------------------------------------------------------
# Sender
# --------------------------------------------------------------------------


def _tokens(value: str) -> frozenset[str]:
    """Name words without accents or case: 'Jean-Marc Dupont' == 'dupont jean marc'."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().casefold()
    return frozenset(_NAME_TOKEN.findall(folded))


def sender_matches(declared: list[str], display_name: str, address: str) -> bool:
    """Whether a declared author or handle designates this sender (by address or name)."""
    address = address.strip().lower()
    local = address.split("@", 1)[0]
    name_tokens = _tokens(display_name)
    local_tokens = _tokens(local)
    for value in declared:
        value = value.strip()
        lowered = value.lower().lstrip("@")
        if not lowered:
            continue
        if lowered in (address, local):
            return True
        tokens = _tokens(value)
        if tokens and tokens in (name_tokens, local_tokens):
            return True
    return False


# --------------------------------------------------------------------------
# DKIM
# --------------------------------------------------------------------------


class _DnsLookup:
    """A dkimpy ``dnsfunc`` over a mapping or another function, remembering missing keys."""

    def __init__(self, source: DnsSource) -> None:
        self.missing = False
        self.last: tuple[bytes | str, bytes] | None = None  # the last (name, record) answered
        if callable(source):
            self._func: DnsFunc | None = source
            self._table: dict[str, bytes] = {}
        else:
            self._func = None
            self._table = {_dns_key(k): _txt(v) for k, v in source.items()}

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        if self._func is not None:
            try:
                value = self._func(name, timeout=timeout)
            except Exception:  # noqa: BLE001 - a DNS failure means "key unavailable", never "tampered"
                value = None
        else:
            value = self._table.get(_dns_key(name))
        if not value:
            self.missing = True
        else:
            self.last = (name, value)
        return value


def _dns_key(name: bytes | str) -> str:
    if isinstance(name, bytes):
        name = name.decode("ascii", errors="replace")
    return name.strip().lower().rstrip(".")


def _txt(value: str | bytes | list[str]) -> bytes:
    # A TXT record may come split in several strings: DNS joins them.
    if isinstance(value, list):
        value = "".join(value)
    return value if isinstance(value, bytes) else value.encode("ascii", errors="replace")


def signature_tags(header_value: str) -> dict[str, str]:
    """The tag=value pairs of a DKIM-Signature header (whitespace removed from values)."""
    unfolded = re.sub(r"\s+", " ", header_value)
    return {k: re.sub(r"\s+", "", v) for k, v in _TAG.findall(unfolded)}


_DKIM_CLOCK_SLOP = 36000


def _verify(dkim: Any, data: bytes, lookup: _DnsLookup, *, ignore_expiry: bool) -> bool:
    """Verify the topmost DKIM signature with dkimpy.

    dkimpy refuses a signature past its x= date, but an expired signature is a
    matter of age, not of tampering: in that case the same steps as
    ``DKIM.verify`` are run with every field check except the expiry one.
    """
    verifier = dkim.DKIM(data, logger=_DKIM_LOGGER, minkey=1024)
    if not ignore_expiry:
        return bool(verifier.verify(dnsfunc=lookup))
    headers = [(k, v) for k, v in verifier.headers if k.lower() == b"dkim-signature"]
    sig = dkim.util.parse_tag_value(headers[0][1])
    dkim.validate_signature_fields({k: v for k, v in sig.items() if k != b"x"})
    include_headers = [h.lower() for h in re.split(rb"\s*:\s*", sig[b"h"])]
    return bool(verifier.verify_sig(sig, include_headers, headers[0], lookup))


def _key_readable(dkim: Any, name: bytes | str, record: bytes) -> bool:
    try:
        dkim.evaluate_pk(name, record)
    except Exception:  # noqa: BLE001 - any parse failure means the key cannot be used
        return False
    return True


def _aligned(signing_domain: str, from_domain: str) -> bool:
    d, f = signing_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return bool(d and f) and (d == f or f.endswith("." + d) or d.endswith("." + f))


def check_dkim(data: bytes, signatures: Sequence[str], index: int, dns: DnsSource | None,
               from_domain: str) -> list[Finding]:
    """Verify the topmost DKIM signature; a signature that fails proves the message was altered."""
    if not signatures:
        return [Finding(
            "dkim_absent", "info",
            fr("Message non signé (DKIM) : son authenticité ne peut pas être vérifiée."),
            index, "attachment",
        )]
    if dns is None:
        return [Finding(
            "dkim_not_checked", "info",
            fr("Signature DKIM présente mais non vérifiée (pas d’accès au DNS)."),
            index, "attachment",
        )]
    tags = signature_tags(str(signatures[0]))
    domain = tags.get("d", "")
    expiry = tags.get("x", "")
    # dkimpy's own leeway; an old message legitimately outlives its signature's x= date.
    expired = expiry.isdigit() and int(expiry) < time.time() - _DKIM_CLOCK_SLOP
    # Imported here: dkimpy pulls in dnspython, half a second that most checks never need.
    import dkim

    lookup = _DnsLookup(dns)
    try:
        valid = _verify(dkim, data, lookup, ignore_expiry=expired)
    except dkim.KeyFormatError as exc:
        if "too small" in str(exc):
            return [Finding(
                "dkim_weak_key", "info",
                fr("Signature DKIM faite avec une clé trop courte pour prouver l’origine du message."),
                index, "attachment",
            )]
        valid = False
    except dkim.DKIMException:
        valid = False
    except Exception:  # noqa: BLE001 - an uploaded file may break the parser in any way
        valid = False
    if not valid and lookup.last is not None and not _key_readable(dkim, *lookup.last):
        lookup.missing = True  # a broken key record says nothing about the message
    if lookup.missing:
        return [Finding(
            "dkim_key_unavailable", "info",
            fr("Clé publique DKIM introuvable pour {domain} (clé retirée ou renouvelée) : "
               "la signature n’a pas pu être vérifiée.", domain=domain or "le domaine signataire"),
            index, "attachment",
        )]
    if not valid:
        return [Finding(
            "dkim_invalid", "hold",
            fr("La signature DKIM du message ne correspond pas à son contenu : le fichier a été "
               "modifié après l’envoi. Joignez le message d’origine, tel que reçu."),
            index, "attachment",
        )]
    findings = []
    if _aligned(domain, from_domain):
        findings.append(Finding(
            "dkim_valid", "info",
            fr("signature DKIM valide ({domain})", domain=domain),
            index, "attachment",
        ))
    else:
        findings.append(Finding(
            "dkim_valid_other_domain", "info",
            fr("Signature DKIM valide, mais d’un autre domaine ({domain}) que celui de l’expéditeur "
               "({sender}) : elle ne prouve pas l’origine du message.",
               domain=domain, sender=from_domain or "inconnu"),
            index, "attachment",
        ))
    if expired:
        findings.append(Finding(
            "dkim_expired", "info",
            fr("La signature DKIM a expiré le {when} ; elle correspond toujours au message.",
               when=format_instant(datetime.fromtimestamp(int(expiry), UTC))),
            index, "attachment",
        ))
    if "l" in tags:
        findings.append(Finding(
            "dkim_partial_body", "info",
            fr("La signature DKIM ne couvre que le début du corps du message : "
               "la fin a pu être ajoutée après l’envoi."),
            index, "attachment",
        ))
    return findings


# --------------------------------------------------------------------------
# The whole check
# --------------------------------------------------------------------------


def check_email(quote: Quote, index: int, declared: DeclaredTime | None,
                dns: DnsSource | None) -> list[Finding]:
    """Compare an email quote with its attached raw message."""
    attachment = quote.attachment
    if attachment is None:
        return [Finding(
            "email_unverified", "info",
            fr("Sans le message d’origine (.eml), ni l’expéditeur, ni la date, ni le texte "
               "n’ont pu être vérifiés."),
            index, "attachment",
        )]
    if not is_raw_email(attachment):
        return [Finding(
            "email_unverified", "info",
            fr("La pièce jointe n’est pas un message brut (.eml) : ni l’expéditeur, ni la date, "
               "ni le texte n’ont pu être vérifiés. Dans votre messagerie, « Enregistrer sous » "
               "ou « Afficher la source » donne ce fichier."),
            index, "attachment",
        )]
    parsed = read_email(attachment.data)
    if parsed is None:
        return [Finding(
            "email_unreadable", "hold",
            fr("Le fichier joint n’a pas pu être lu comme un message électronique : "
               "joignez le message d’origine au format .eml."),
            index, "attachment",
        )]
    findings, from_domain = _check_sender(quote, index, parsed.senders)
    findings += _check_date(index, declared, parsed.sent)
    findings += _check_text(quote, index, parsed)
    findings += check_dkim(attachment.data, parsed.dkim_signatures, index, dns, from_domain)
    return findings


def _check_sender(quote: Quote, index: int, addresses: Sequence[tuple[str, str]]) -> tuple[list[Finding], str]:
    if not addresses:
        return [Finding(
            "email_from_missing", "hold",
            fr("Le message joint n’a pas d’expéditeur lisible (champ From) : "
               "joignez le message d’origine."),
            index, "author",
        )], ""
    name, address = addresses[0]
    domain = address.rpartition("@")[2]
    declared = [v for v in (quote.author, quote.handle) if v.strip()]
    shown = f"{name} <{address}>" if name else address
    if not declared:
        return [], domain
    if any(sender_matches(declared, n, a) for n, a in addresses):
        return [Finding(
            "email_from_consistent", "info",
            fr("expéditeur conforme au message joint ({sender})", sender=shown),
            index, "author",
        )], domain
    return [Finding(
        "email_from_mismatch", "hold",
        fr("L’expéditeur du message joint ({sender}) ne correspond pas à l’auteur déclaré "
           "({declared}) : corrigez l’auteur ou joignez le bon message.",
           sender=shown, declared=" / ".join(declared)),
        index, "author",
    )], domain


def _check_date(index: int, declared: DeclaredTime | None, sent: datetime | None) -> list[Finding]:
    if sent is None:
        return [Finding(
            "email_date_missing", "hold",
            fr("Le message joint n’a pas de date lisible (champ Date) : joignez le message d’origine."),
            index, "said_at",
        )]
    if declared is None:
        return []
    if declared.distance(sent) <= EMAIL_TOLERANCE:
        return [Finding(
            "email_date_consistent", "info",
            fr("date conforme au message joint (envoyé le {when}, heure de Paris)", when=format_instant(sent)),
            index, "said_at",
        )]
    return [Finding(
        "email_date_mismatch", "hold",
        fr("La date déclarée ({declared}) ne correspond pas à celle du message joint, envoyé le "
           "{when} (heure de Paris) : corrigez la date ou joignez le bon message.",
           declared=declared.describe(), when=format_instant(sent)),
        index, "said_at",
    )]


def _check_text(quote: Quote, index: int, parsed: ParsedEmail) -> list[Finding]:
    if not quote.text.strip():
        return []
    if any(quote_found_in(quote.text, body) for body in parsed.texts):
        return [Finding(
            "email_text_found", "info",
            fr("texte cité présent dans le message joint"),
            index, "text",
        )]
    subject = parsed.subject
    where = f" ({guillemets(subject)})" if subject else ""
    return [Finding(
        "email_text_not_found", "hold",
        fr("Le texte cité n’apparaît pas tel quel dans le message joint{where}. Recopiez-le "
           "exactement et marquez chaque coupure par « […] ».", where=where),
        index, "text",
    )]
