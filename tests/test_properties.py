"""Property tests: arbitrary text and Markdown never yield executable markup, never crash the
renderer nor the provenance checker."""

from __future__ import annotations

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.markup import render_markdown
from moderation.provenance import Draft, Quote, check_draft

SAFE_SCHEMES = ("http:", "https:", "mailto:")
FORBIDDEN = {"script", "style", "iframe", "object", "embed", "svg", "math", "img", "form", "base", "meta", "link",
             "input", "button", "textarea", "video", "audio", "source", "frame", "frameset"}

# Markdown and HTML punctuation mixed with letters, so that structures actually form.
pieces = st.sampled_from([
    "<", ">", "/", "\"", "'", "=", "`", "[", "]", "(", ")", "!", "*", "_", "#", "-", "&", ";", ":", "\n", " ",
    "javascript:", "JaVaScRiPt:", "data:text/html,", "vbscript:", "&#x6A;", "&#106;", "%0a", "\t", "\x00",
    "script", "img", "svg", "onerror=", "onload=", "href=", "src=", "alert(1)", "http://exemple.org", "<a ", "</a>",
    "<script>", "</script>", "<img src=x ", "[x](", "![x](", "```", "<!--", "-->", "é", "« ", " »",
])
markdown_text = st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=60).map("".join)


def _unsafe(output: str) -> list[str]:
    problems = []
    document = html5lib.parseFragment(output, namespaceHTMLElements=False)
    for element in document.iter():
        # Foreign content (SVG, MathML) keeps a namespace even with namespaceHTMLElements=False.
        tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        if tag in FORBIDDEN:
            problems.append(f"balise {tag}")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                problems.append(f"attribut {name}")
            if name.lower() in ("href", "src", "action", "formaction"):
                compact = "".join(ch for ch in value if ch > " ").lower()
                if ":" in compact.split("/", 1)[0] and not compact.startswith(SAFE_SCHEMES):
                    problems.append(f"URL {value!r}")
    return problems


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text)
def test_rendered_markdown_never_holds_executable_markup(source):
    output = render_markdown(source)
    assert _unsafe(output) == []
    assert render_markdown(source) == output


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_text_renders_without_error(source):
    assert _unsafe(render_markdown(source)) == []


quote_field = st.one_of(st.text(max_size=40), pieces)
quotes = st.builds(
    Quote,
    kind=st.sampled_from(["tweet", "social", "email", "sms", "article", "video", "internal", "document", "bogus"]),
    text=quote_field, context=quote_field, author=quote_field, handle=quote_field,
    said_at=st.one_of(st.none(), st.sampled_from(["2012-03-14", "2012-03-14T10:42", "hier", "", "9999-99-99"]), st.text(max_size=12)),
    source_url=st.one_of(st.just(""), st.sampled_from(["https://twitter.com/a/status/1", "https://x.com/b/status/99999999999999",
                                                         "https://web.archive.org/web/2012/x", "javascript:alert(1)",
                                                         "https://xn--e1afmkfd.xn--p1ai/"]), st.text(max_size=30)),
    archive_url=st.one_of(st.just(""), st.text(max_size=30)),
    quoted_text=st.one_of(st.none(), st.text(max_size=40)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=markdown_text, category=st.sampled_from(["debate", "general"]), quotes=st.lists(quotes, max_size=4))
def test_the_checker_never_crashes_and_always_answers_in_its_vocabulary(body, category, quotes):
    findings = check_draft(Draft(body=body, category=category, quotes=quotes))
    for finding in findings:
        assert finding.severity in ("block", "hold", "info")
        assert finding.code and finding.message


def test_the_safety_oracle_itself_catches_what_it_must():
    assert _unsafe('<a href="javascript:alert(1)">x</a>')
    assert _unsafe('<a href="JaVa\tScRiPt:alert(1)">x</a>')
    assert _unsafe("<img src=x onerror=alert(1)>")
    assert _unsafe("<svg><script>alert(1)</script></svg>")
    assert _unsafe('<p onclick="x">a</p>')
    assert not _unsafe('<p><a href="https://exemple.org" rel="nofollow">lien</a></p>')
