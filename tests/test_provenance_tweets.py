"""Tweet / X status links: shape, declared account, snowflake date within 36 hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.provenance import Attachment, Draft, Quote, check_draft
from moderation.provenance.text import PARIS
from moderation.provenance.tweets import (
    FIRST_SNOWFLAKE_ID,
    SNOWFLAKE_EPOCH_MS,
    TweetUrl,
    parse_tweet_url,
    snowflake_time,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
# 2012-03-03 22:42:17.123 in Paris (UTC+1 then).
POSTED = datetime(2012, 3, 3, 21, 42, 17, 123000, tzinfo=UTC)


def status_id(when: datetime, low_bits: int = 0x2A5F3) -> int:
    """The id Twitter would have given a tweet posted at ``when``."""
    ms = int(when.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return (ms << 22) | low_bits


TWEET_ID = status_id(POSTED)


def tweet(**overrides: object) -> Quote:
    fields: dict[str, object] = dict(
        kind="tweet",
        author="Jean Dupont",
        handle="@jdupont",
        said_at="2012-03-03T22:42",
        source_url=f"https://twitter.com/jdupont/status/{TWEET_ID}",
        context="Tweet publié pendant la campagne municipale de 2012, en réponse à une militante.",
        text="Les militants de base ne comprennent rien à la stratégie.",
    )
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def run(quote: Quote) -> dict[str, str]:
    return {f.code: f.severity for f in check_draft(Draft(quotes=[quote]), now=NOW)}


def holds(codes: dict[str, str]) -> set[str]:
    return {c for c, s in codes.items() if s in ("hold", "block")}


def test_snowflake_decoding_is_exact_to_the_millisecond() -> None:
    assert snowflake_time(TWEET_ID) == POSTED


def test_known_public_tweet_id() -> None:
    # The Twitter API v2 documentation's example tweet: created_at 2019-12-31T19:26:16.000Z.
    assert snowflake_time(1212092628029698048) == datetime(2019, 12, 31, 19, 26, 16, 771000, tzinfo=UTC)


def test_pre_snowflake_ids_carry_no_date() -> None:
    assert snowflake_time(FIRST_SNOWFLAKE_ID - 1) is None
    assert snowflake_time(20) is None
    codes = run(tweet(source_url="https://twitter.com/jack/status/20", handle="jack", said_at="2006-03-21"))
    assert codes["tweet_date_unchecked"] == "info"
    assert holds(codes) == set()


@pytest.mark.parametrize("url, expected", [
    ("https://twitter.com/jdupont/status/123456789012", TweetUrl("jdupont", 123456789012)),
    ("https://x.com/JDupont/status/123456789012", TweetUrl("JDupont", 123456789012)),
    ("http://www.twitter.com/jdupont/status/123456789012/", TweetUrl("jdupont", 123456789012)),
    ("https://mobile.twitter.com/jdupont/status/123456789012?s=20&t=abc", TweetUrl("jdupont", 123456789012)),
    ("https://www.x.com/jdupont/status/123456789012?lang=fr#top", TweetUrl("jdupont", 123456789012)),
    ("https://twitter.com/jdupont/statuses/123456789012", TweetUrl("jdupont", 123456789012)),
    ("https://twitter.com/jdupont/status/123456789012/photo/1", TweetUrl("jdupont", 123456789012)),
    ("https://twitter.com/#!/jdupont/status/123456789012", TweetUrl("jdupont", 123456789012)),
    ("https://twitter.com/i/web/status/123456789012", TweetUrl(None, 123456789012)),
    ("https://x.com/i/status/123456789012", TweetUrl(None, 123456789012)),
])
def test_status_url_shapes(url: str, expected: TweetUrl) -> None:
    assert parse_tweet_url(url) == expected


@pytest.mark.parametrize("url", [
    "https://twitter.com/jdupont",
    "https://x.com/jdupont/likes",
    "https://twitter.com/jdupont/status/",
    "https://twitter.com/jdupont/status/12ab",
    "https://twitter.com/un_nom_beaucoup_trop_long/status/123456789012",
    "https://twitter.com.evil.example/jdupont/status/123456789012",
    "https://nitter.net/jdupont/status/123456789012",
])
def test_not_status_urls(url: str) -> None:
    assert parse_tweet_url(url) is None


def test_consistent_tweet_gives_infos_only() -> None:
    codes = run(tweet())
    assert codes["tweet_date_consistent"] == "info"
    assert codes["tweet_handle_consistent"] == "info"
    assert holds(codes) == set()


def test_consistent_message_is_the_badge_text() -> None:
    findings = check_draft(Draft(quotes=[tweet()]), now=NOW)
    badge = next(f for f in findings if f.code == "tweet_date_consistent")
    assert badge.message.startswith("date cohérente avec l’identifiant du tweet")
    assert badge.quote_index == 0 and badge.field == "said_at"


def test_handle_comparison_ignores_case_and_at_sign() -> None:
    for handle in ("JDUPONT", "@JDupont", "jdupont", " @jdupont ", "https://x.com/jdupont"):
        assert run(tweet(handle=handle))["tweet_handle_consistent"] == "info", handle


def test_handle_mismatch_holds() -> None:
    codes = run(tweet(handle="@jdupont_officiel"))
    assert codes["tweet_handle_mismatch"] == "hold"


def test_missing_handle_holds() -> None:
    assert run(tweet(handle=""))["tweet_handle_missing"] == "hold"


def test_i_web_status_cannot_check_the_handle() -> None:
    codes = run(tweet(source_url=f"https://twitter.com/i/web/status/{TWEET_ID}"))
    assert codes["tweet_handle_unchecked"] == "info"
    assert codes["tweet_date_consistent"] == "info"
    assert holds(codes) == set()


def _declared(delta: timedelta) -> str:
    """A naive Paris datetime ``delta`` away from the tweet."""
    return (POSTED + delta).astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="milliseconds")


@pytest.mark.parametrize("delta", [timedelta(hours=35, minutes=59), -timedelta(hours=35, minutes=59),
                                   timedelta(hours=36), -timedelta(hours=36)])
def test_date_inside_36_hours_is_consistent(delta: timedelta) -> None:
    codes = run(tweet(said_at=_declared(delta)))
    assert codes["tweet_date_consistent"] == "info"
    assert "tweet_date_mismatch" not in codes


@pytest.mark.parametrize("delta", [timedelta(hours=36, seconds=2), -timedelta(hours=36, seconds=2),
                                   timedelta(days=30), -timedelta(days=400)])
def test_date_outside_36_hours_holds(delta: timedelta) -> None:
    codes = run(tweet(said_at=_declared(delta)))
    assert codes["tweet_date_mismatch"] == "hold"
    assert "tweet_date_consistent" not in codes


def test_date_only_is_the_whole_paris_day() -> None:
    # Posted 2012-03-03 22:42 Paris. The day 2012-03-05 (Paris) starts 25 h 18 after: consistent.
    assert run(tweet(said_at="2012-03-05"))["tweet_date_consistent"] == "info"
    # 2012-03-06 starts 49 h 18 after: beyond the tolerance.
    assert run(tweet(said_at="2012-03-06"))["tweet_date_mismatch"] == "hold"
    # 2012-03-02 ends 22 h 42 before the tweet: consistent; 2012-03-01 ends 46 h 42 before.
    assert run(tweet(said_at="2012-03-02"))["tweet_date_consistent"] == "info"
    assert run(tweet(said_at="2012-03-01"))["tweet_date_mismatch"] == "hold"


def test_date_only_edge_of_tolerance_in_paris_time() -> None:
    # A tweet at 12:00 UTC (13:00 Paris) on 2020-01-10: the day 2020-01-08 (Paris) ends
    # 2020-01-07T23:00Z + 1 day = 2020-01-08T23:00Z, i.e. 37 h before: mismatch;
    # the tweet at 2020-01-10T10:59Z is 35 h 59 after the end of that day: consistent.
    late = status_id(datetime(2020, 1, 10, 12, 0, tzinfo=UTC))
    early = status_id(datetime(2020, 1, 10, 10, 59, tzinfo=UTC))
    url = "https://x.com/jdupont/status/{}"
    assert run(tweet(source_url=url.format(late), said_at="2020-01-08"))["tweet_date_mismatch"] == "hold"
    assert run(tweet(source_url=url.format(early), said_at="2020-01-08"))["tweet_date_consistent"] == "info"


def test_aware_declared_datetime_is_compared_as_an_instant() -> None:
    assert run(tweet(said_at="2012-03-03T21:42:17Z"))["tweet_date_consistent"] == "info"
    assert run(tweet(said_at="2012-03-05T21:43:00+00:00"))["tweet_date_mismatch"] == "hold"


def test_tweet_id_from_the_future_holds() -> None:
    future = status_id(NOW + timedelta(days=30))
    codes = run(tweet(source_url=f"https://x.com/jdupont/status/{future}", said_at=None))
    assert codes["tweet_url_invalid"] == "hold"


def test_not_a_status_url_holds() -> None:
    assert run(tweet(source_url="https://twitter.com/jdupont"))["tweet_url_invalid"] == "hold"
    assert run(tweet(source_url="https://exemple.org/article"))["tweet_url_invalid"] == "hold"


def test_screenshot_without_tweet_url_holds() -> None:
    png = Attachment("capture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    codes = run(tweet(source_url="", attachment=png))
    assert codes["tweet_url_missing"] == "hold"
    assert "source_missing" not in codes


def test_social_kind_with_a_twitter_link_gets_the_tweet_checks() -> None:
    codes = run(tweet(kind="social", handle="@autre_compte"))
    assert codes["tweet_handle_mismatch"] == "hold"
    codes = run(tweet(kind="social", source_url="https://mastodon.social/@jdupont/111"))
    assert holds(codes) == set()
