"""URL helpers: validity, canonical form for comparison, suspicious hosts."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .text import invisible_characters, mixed_script_words

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Wayback sometimes collapses "https://" into "https:/".
_COLLAPSED_SCHEME = re.compile(r"^(https?):/+(?=[^/])", re.I)
_HOST_PREFIXES = ("www.", "mobile.", "m.")
_TWITTER_HOSTS = frozenset({"twitter.com", "x.com"})
_STATUS_PATH = re.compile(r"^/(?:#!/)?(?:i/web/|i/|[A-Za-z0-9_]{1,15}/)status(?:es)?/(\d{1,20})(?:/|$)")
# Query parameters that only track the reader and never change the page.
_TRACKING_KEYS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "igshid", "mc_cid", "mc_eid", "ref", "ref_src",
    "ref_url", "xtor", "xtref", "at_medium", "at_campaign", "at_platform", "at_send_date",
    "cmp", "s", "t", "si", "feature", "share", "amp",
})


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    """The lower-case host of a URL ("" when there is none or it is unparsable)."""
    try:
        return (urlsplit(_with_scheme(url.strip())).hostname or "").lower()
    except ValueError:
        return ""


def bare_host(host: str) -> str:
    """A host without the www./mobile./m. prefixes, twitter.com and x.com merged."""
    host = host.lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    return "x.com" if host in _TWITTER_HOSTS else host


def _with_scheme(url: str) -> str:
    url = _COLLAPSED_SCHEME.sub(r"\1://", url)
    if not _SCHEME.match(url):
        url = "http://" + url.lstrip("/")
    return url


def canonical_url(url: str) -> str:
    """A comparable form of a URL.

    Scheme, default ports, www./mobile. prefixes, letter case of the host,
    trailing slash, fragment, tracking parameters and the parameter order are
    ignored; a tweet is identified by its status id alone (twitter.com and
    x.com, any handle spelling, any query).
    """
    raw = _with_scheme(url.strip())
    try:
        parts = urlsplit(raw)
        host = bare_host(parts.hostname or "")
    except ValueError:
        return url.strip()
    path = unquote(parts.path)
    if host == "x.com":
        # Old "#!/" links carry the path in the fragment.
        candidate = path if parts.fragment[:2] != "!/" else "/#" + parts.fragment
        m = _STATUS_PATH.match(candidate)
        if m:
            return f"x.com/status/{m.group(1)}"
        return "x.com" + candidate.rstrip("/").lower()
    path = path.rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_KEYS and not k.lower().startswith("utm_")
    )
    return host + path + ("?" + urlencode(query) if query else "")


def same_resource(a: str, b: str) -> bool:
    """Whether two URLs designate the same page once normalised."""
    return canonical_url(a) == canonical_url(b)


def suspicious_url_parts(url: str) -> tuple[list[str], list[str], bool]:
    """(invisible characters, mixed-script words, punycode or non-ASCII host) of a URL."""
    if url.isascii() and "xn--" not in url.lower() and "%" not in url:
        return [], [], False  # the common case, without parsing
    invisible = invisible_characters(url)
    mixed = mixed_script_words(unquote(url))
    host = host_of(url)
    idn = any(label.startswith("xn--") for label in host.split(".")) or not host.isascii()
    return invisible, mixed, idn
