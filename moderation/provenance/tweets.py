"""Tweet / X status links: shape, account, and the date hidden in the status id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Finding, Quote
from .text import DeclaredTime, format_instant, fr, utc_from_ms

#: Twitter's snowflake epoch (2010-11-04T01:42:54.657Z), in ms since the Unix epoch.
SNOWFLAKE_EPOCH_MS = 1288834974657
#: Ids below this one were sequential (before November 2010) and carry no date.
FIRST_SNOWFLAKE_ID = 29700859247
#: How far the declared date may be from the id's date.
TWEET_TOLERANCE = timedelta(hours=36)

_TWEET_URL = re.compile(
    r"^(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/(?:#!/)?"
    r"(?:i/web/status(?:es)?/|i/status(?:es)?/|(?P<handle>[A-Za-z0-9_]{1,15})/status(?:es)?/)"
    r"(?P<id>\d{1,20})"
    r"(?:/(?:photos?|video)/\d{1,2}|/[A-Za-z_]{1,20})?/?(?:[?#]\S*)?$",
    re.I,
)
_TWITTER_HOST = re.compile(r"^(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com(?:[/?#]|$)", re.I)
_HANDLE_URL = re.compile(r"^(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/@?([A-Za-z0-9_]{1,15})", re.I)


@dataclass(frozen=True)
class TweetUrl:
    """What a status URL says: the account (None for /i/web/status/) and the id."""

    handle: str | None
    status_id: int


def is_twitter_url(url: str) -> bool:
    """Whether the URL points to twitter.com or x.com."""
    return bool(_TWITTER_HOST.match(url.strip()))


def parse_tweet_url(url: str) -> TweetUrl | None:
    """Read a tweet / X status URL; None when it does not have the shape of one."""
    m = _TWEET_URL.match(url.strip())
    if not m:
        return None
    return TweetUrl(m.group("handle"), int(m.group("id")))


def normalise_handle(handle: str) -> str:
    """Compare form of a declared handle: no @, no profile URL around it, lower case."""
    handle = handle.strip()
    m = _HANDLE_URL.match(handle)
    if m:
        handle = m.group(1)
    return handle.lstrip("@").strip().lower()


def snowflake_time(status_id: int) -> datetime | None:
    """The moment encoded in a snowflake id (None for pre-November-2010 ids)."""
    if status_id < FIRST_SNOWFLAKE_ID or status_id >= 1 << 64:
        return None
    return utc_from_ms((status_id >> 22) + SNOWFLAKE_EPOCH_MS)


def check_tweet(quote: Quote, index: int, declared: DeclaredTime | None, now: datetime) -> list[Finding]:
    """Checks on a tweet's link: shape, declared account, date versus status id."""
    url = quote.source_url.strip()
    if not url:
        if quote.kind == "tweet":
            return [Finding(
                "tweet_url_missing", "hold",
                fr("Indiquez le lien du tweet (https://x.com/compte/status/…) : "
                   "une capture d’écran seule ne permet aucune vérification."),
                index, "source_url",
            )]
        return []
    parsed = parse_tweet_url(url)
    if parsed is None:
        return [Finding(
            "tweet_url_invalid", "hold",
            fr("Ce lien n’est pas celui d’un tweet. Copiez l’adresse du tweet lui-même, "
               "de la forme https://x.com/compte/status/123456789."),
            index, "source_url",
        )]
    findings = _check_handle(quote, index, parsed)
    findings += _check_date(index, parsed, declared, now)
    return findings


def _check_handle(quote: Quote, index: int, parsed: TweetUrl) -> list[Finding]:
    if parsed.handle is None:
        return [Finding(
            "tweet_handle_unchecked", "info",
            fr("Le lien ne contient pas le nom du compte : le compte déclaré n’a pas pu être vérifié."),
            index, "handle",
        )]
    declared = normalise_handle(quote.handle)
    if not declared:
        return [Finding(
            "tweet_handle_missing", "hold",
            fr("Indiquez le compte qui a publié le tweet (le lien désigne @{handle}).", handle=parsed.handle),
            index, "handle",
        )]
    if declared != parsed.handle.lower():
        return [Finding(
            "tweet_handle_mismatch", "hold",
            fr("Le compte déclaré (@{declared}) n’est pas celui du lien (@{actual}) : "
               "corrigez le compte ou le lien.", declared=declared, actual=parsed.handle),
            index, "handle",
        )]
    return [Finding(
        "tweet_handle_consistent", "info",
        fr("compte cohérent avec le lien du tweet (@{handle})", handle=parsed.handle),
        index, "handle",
    )]


def _check_date(index: int, parsed: TweetUrl, declared: DeclaredTime | None, now: datetime) -> list[Finding]:
    posted = snowflake_time(parsed.status_id)
    if posted is None:
        return [Finding(
            "tweet_date_unchecked", "info",
            fr("Tweet antérieur à novembre 2010 : son identifiant ne contient pas de date, "
               "la date déclarée n’a pas pu être vérifiée."),
            index, "said_at",
        )]
    if posted > now + timedelta(days=1):
        # An id from the future cannot exist: the link was typed or forged.
        return [Finding(
            "tweet_url_invalid", "hold",
            fr("L’identifiant de ce tweet correspond à une date future ({when}) : "
               "vérifiez le lien.", when=format_instant(posted)),
            index, "source_url",
        )]
    if declared is None:
        return []
    if declared.distance(posted) <= TWEET_TOLERANCE:
        return [Finding(
            "tweet_date_consistent", "info",
            fr("date cohérente avec l’identifiant du tweet (publié le {when}, heure de Paris)",
               when=format_instant(posted)),
            index, "said_at",
        )]
    return [Finding(
        "tweet_date_mismatch", "hold",
        fr("La date déclarée ({declared}) ne correspond pas à l’identifiant du tweet, "
           "publié le {when} (heure de Paris) : corrigez la date ou le lien.",
           declared=declared.describe(), when=format_instant(posted)),
        index, "said_at",
    )]
