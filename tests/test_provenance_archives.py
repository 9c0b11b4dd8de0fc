"""Archive links: the Wayback Machine and archive.today must archive the declared source, after it was said."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moderation.provenance import Draft, Quote, check_draft
from moderation.provenance.archives import UnreadableArchive, parse_archive_url
from moderation.provenance.urls import canonical_url, same_resource

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
ARTICLE = "https://www.leprogres.fr/politique/2012/03/04/municipales-la-liste"
TWEET = "https://twitter.com/jdupont/status/176037155424911360"


def quote(**overrides: object) -> Quote:
    fields: dict[str, object] = dict(
        kind="article",
        author="Jean Dupont",
        said_at="2012-03-04",
        source_url=ARTICLE,
        archive_url=f"https://web.archive.org/web/20120305081500/{ARTICLE}",
        context="Entretien au Progrès pendant la campagne municipale.",
        text="Je ne ferai jamais alliance avec eux.",
    )
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def run(q: Quote) -> dict[str, str]:
    return {f.code: f.severity for f in check_draft(Draft(quotes=[q]), now=NOW)}


def holds(codes: dict[str, str]) -> set[str]:
    return {c for c, s in codes.items() if s in ("hold", "block")}


def test_parse_wayback() -> None:
    link = parse_archive_url(f"https://web.archive.org/web/20120305081500/{ARTICLE}")
    assert link is not None
    assert link.archived_url == ARTICLE
    assert link.captured_at == datetime(2012, 3, 5, 8, 15, tzinfo=UTC)


def test_parse_wayback_with_flag_and_query() -> None:
    link = parse_archive_url("https://web.archive.org/web/20120305081500id_/http://exemple.org/a?id=3&b=2")
    assert link is not None
    assert link.archived_url == "http://exemple.org/a?id=3&b=2"


def test_parse_archive_today_variants() -> None:
    for host in ("archive.ph", "archive.is", "archive.today", "archive.li", "archive.md"):
        link = parse_archive_url(f"https://{host}/20120305081500/{ARTICLE}")
        assert link is not None and link.captured_at == datetime(2012, 3, 5, 8, 15, tzinfo=UTC), host
    dotted = parse_archive_url(f"https://archive.ph/2012.03.05-081500/{ARTICLE}")
    assert dotted is not None and dotted.captured_at == datetime(2012, 3, 5, 8, 15, tzinfo=UTC)


def test_archive_today_short_id_is_unreadable() -> None:
    with pytest.raises(UnreadableArchive):
        parse_archive_url("https://archive.ph/AbCd1")


def test_other_sites_are_not_archives() -> None:
    assert parse_archive_url("https://exemple.org/20120305081500/https://x.com") is None


@pytest.mark.parametrize("a, b", [
    ("https://www.exemple.org/page/", "http://exemple.org/page"),
    ("https://exemple.org/page?utm_source=x&id=4", "https://exemple.org/page?id=4"),
    ("https://exemple.org/page?b=2&a=1", "https://exemple.org/page?a=1&b=2"),
    ("https://EXEMPLE.org:443/page#section", "https://exemple.org/page"),
    ("https://twitter.com/jdupont/status/123456789012?s=20", "https://x.com/JDupont/status/123456789012"),
    ("https://mobile.twitter.com/jdupont/status/123456789012", "https://twitter.com/i/web/status/123456789012"),
    ("https://twitter.com/#!/jdupont/status/123456789012", "https://x.com/jdupont/status/123456789012/"),
    ("exemple.org/page", "https://exemple.org/page"),
])
def test_same_resource(a: str, b: str) -> None:
    assert same_resource(a, b), (canonical_url(a), canonical_url(b))


@pytest.mark.parametrize("a, b", [
    ("https://exemple.org/page?id=4", "https://exemple.org/page?id=5"),
    ("https://exemple.org/page", "https://exemple.org/autre-page"),
    ("https://twitter.com/jdupont/status/123456789012", "https://twitter.com/jdupont/status/123456789013"),
    ("https://exemple.org/page", "https://exemple.org.evil.example/page"),
])
def test_different_resources(a: str, b: str) -> None:
    assert not same_resource(a, b)


def test_matching_wayback_archive_is_info() -> None:
    codes = run(quote())
    assert codes["archive_consistent"] == "info"
    assert holds(codes) == set()


def test_archive_of_the_tweet_on_x_com_matches_the_twitter_link() -> None:
    archive = "https://web.archive.org/web/20120305081500/https://x.com/JDupont/status/176037155424911360?s=20"
    codes = run(quote(kind="tweet", handle="jdupont", source_url=TWEET, archive_url=archive, said_at="2012-03-03"))
    assert codes["archive_consistent"] == "info"
    assert "archive_source_mismatch" not in codes


def test_archive_of_another_page_holds() -> None:
    codes = run(quote(archive_url="https://web.archive.org/web/20120305081500/https://www.leprogres.fr/autre-article"))
    assert codes["archive_source_mismatch"] == "hold"
    assert "archive_consistent" not in codes


def test_archive_today_of_another_page_holds() -> None:
    codes = run(quote(archive_url="https://archive.ph/20120305081500/https://exemple.org/montage"))
    assert codes["archive_source_mismatch"] == "hold"


def test_archive_made_before_the_words_holds() -> None:
    codes = run(quote(archive_url=f"https://web.archive.org/web/20120301000000/{ARTICLE}"))
    assert codes["archive_before_said_at"] == "hold"


def test_archive_the_same_day_is_fine() -> None:
    # Declared 2012-03-04 (the Paris day starts 2012-03-03T23:00Z); captured 23:30Z that night.
    codes = run(quote(archive_url=f"https://web.archive.org/web/20120303233000/{ARTICLE}"))
    assert "archive_before_said_at" not in codes
    assert codes["archive_consistent"] == "info"


def test_archive_just_before_the_declared_day_holds() -> None:
    # 22:30Z on 2012-03-03 is 23:30 in Paris, half an hour before the declared day.
    codes = run(quote(archive_url=f"https://web.archive.org/web/20120303223000/{ARTICLE}"))
    assert codes["archive_before_said_at"] == "hold"


def test_archive_within_the_slack_of_a_declared_time_is_fine() -> None:
    # Declared 18:00 Paris (17:00Z); captured 15:30Z, within the 2-hour slack for a time read elsewhere.
    codes = run(quote(said_at="2012-03-04T18:00", archive_url=f"https://web.archive.org/web/20120304153000/{ARTICLE}"))
    assert "archive_before_said_at" not in codes


def test_archive_a_few_hours_before_a_declared_time_holds() -> None:
    codes = run(quote(said_at="2012-03-04T18:00", archive_url=f"https://web.archive.org/web/20120304100000/{ARTICLE}"))
    assert codes["archive_before_said_at"] == "hold"


def test_archive_short_id_is_info_that_it_could_not_be_checked() -> None:
    codes = run(quote(archive_url="https://archive.ph/AbCd1"))
    assert codes["archive_unchecked"] == "info"
    assert holds(codes) == set()


def test_unknown_archive_service_is_info() -> None:
    codes = run(quote(archive_url="https://perma.cc/ABCD-1234"))
    assert codes["archive_unrecognised"] == "info"


def test_imprecise_timestamp_checks_the_page_only() -> None:
    codes = run(quote(archive_url=f"https://web.archive.org/web/2012/{ARTICLE}"))
    assert codes["archive_date_unchecked"] == "info"
    assert codes["archive_consistent"] == "info"
    assert holds(codes) == set()


def test_archive_timestamp_in_the_future_holds() -> None:
    codes = run(quote(archive_url=f"https://web.archive.org/web/20990101000000/{ARTICLE}"))
    assert codes["archive_url_invalid"] == "hold"


def test_impossible_timestamp_holds() -> None:
    codes = run(quote(archive_url=f"https://web.archive.org/web/20121345000000/{ARTICLE}"))
    assert codes["archive_url_invalid"] == "hold"


def test_archive_link_that_is_not_a_url_blocks() -> None:
    codes = run(quote(archive_url="archive de l'article"))
    assert codes["archive_url_malformed"] == "block"
