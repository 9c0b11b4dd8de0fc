"""Every message is French, well typeset, and tells the author something; one scenario per code family."""

from __future__ import annotations

from datetime import UTC, datetime

from moderation.provenance import CODES, Attachment, Draft, Finding, Quote, check_draft
from moderation.provenance.tweets import SNOWFLAKE_EPOCH_MS

NOW = datetime(2026, 1, 15, tzinfo=UTC)
STATUS_ID = (int(datetime(2012, 3, 3, 21, 42, tzinfo=UTC).timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22


def many_findings() -> list[Finding]:
    """A draft doing nearly everything wrong, plus a few right things for the badges."""
    body = "RT @x: y\nDe : Jean\nObjet : x\n![](a.png)\nhttps://xn--pple-43d.com"
    quotes = [
        Quote(kind="fax", text="", context="", said_at="hier"),
        Quote(kind="tweet", text="@a : x\n@b : y", context="c", handle="@JDu\u200bpont", author="Jеan",
              said_at="2012-03-10", source_url=f"https://twitter.com/jdupont/status/{STATUS_ID}",
              archive_url="https://web.archive.org/web/20120101000000/https://exemple.org"),
        Quote(kind="tweet", text="t", context="c", author="A", said_at="2012-03-03",
              source_url="https://twitter.com/jdupont"),
        Quote(kind="article", text="t", context="c", said_at="2030-01-01", source_url="ftp://x",
              archive_url="https://archive.ph/abcd"),
        Quote(kind="internal", text="t", context="c"),
        Quote(kind="internal", text="t", context="c", quoted_text="autre chose"),
        Quote(kind="sms", text="t", context="c", author="A", said_at="2012-03-03",
              attachment=Attachment("sms.png", b"\x89PNG\r\n\x1a\n")),
        Quote(kind="tweet", text="t", context="c", handle="jdupont", said_at="2012-03-03",
              source_url=f"https://x.com/jdupont/status/{STATUS_ID}",
              archive_url=f"https://archive.ph/20120304000000/https://twitter.com/jdupont/status/{STATUS_ID}"),
        Quote(kind="email", text="t", context="c", author="A", said_at="2012-03-03",
              attachment=Attachment("m.eml", b"Subject: x\n\nrien")),
        Quote(kind="internal", text="t", context="c", quoted_text="t"),
    ]
    return check_draft(Draft(body=body, category="debate", quotes=quotes), now=NOW)


def test_scenario_covers_every_severity_with_published_codes() -> None:
    findings = many_findings()
    assert {f.severity for f in findings} == {"block", "hold", "info"}
    for f in findings:
        assert CODES[f.code] == f.severity, f


def test_french_typography() -> None:
    for f in many_findings():
        text = f.message
        for plain in (" :", " ;", " !", " ?", "« ", " »"):
            assert plain not in text.replace("(https://", "").replace("https://", ""), (f.code, text)
        assert "'" not in text, (f.code, text)  # typographic apostrophes only
        assert "  " not in text, (f.code, text)


def test_hold_and_block_messages_are_sentences_that_ask_for_something() -> None:
    for f in many_findings():
        if f.severity == "info":
            continue
        assert f.message[0].isupper() and f.message.endswith("."), (f.code, f.message)
        assert len(f.message) > 30, (f.code, f.message)
