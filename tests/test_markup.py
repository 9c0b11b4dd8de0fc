"""Tests for forum.markup: XSS corpus plus rendering behaviour."""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest

from forum.markup import LINK_REL, render_markdown, render_plain

CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "img",
    "form", "base", "meta",
}  # fmt: skip
ALLOWED_ATTRS = {"href", "title", "rel", "align"}
SAFE_SCHEMES = {"http", "https", "mailto"}

_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|[ntr0\\])")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\"}


def _decode(line: str) -> str:
    """Decode the corpus escapes documented at the top of the file."""

    def sub(m: re.Match[str]) -> str:
        code = m.group(1)
        if code.startswith("x"):
            return chr(int(code[1:], 16))
        return _ESCAPES[code]

    return _ESCAPE_RE.sub(sub, line)


def _load_payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [_decode(x) for x in lines if x.strip() and not x.startswith("#")]


def _load_families() -> dict[str, list[str]]:
    """The payloads under each "# --- family ---" heading of the corpus, in file order."""
    families: dict[str, list[str]] = {}
    current = "(no heading)"
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"# --- (.+) ---", line)
        if heading:
            current = heading.group(1)
        elif line.strip() and not line.startswith("#"):
            families.setdefault(current, []).append(_decode(line))
    return families


PAYLOADS = _load_payloads()
FAMILIES = _load_families()


def _slice(per_family: int) -> list[str]:
    """A representative slice for the slower rendering paths (pages, emails, the browser): the
    first and then evenly spaced payloads of every family, so each kind of attack is present."""
    picked: list[str] = []
    for payloads in FAMILIES.values():
        step = max(1, len(payloads) // per_family)
        picked += payloads[::step][:per_family]
    return picked


#: Two payloads of every family of the corpus (52 today).
SLICE = _slice(per_family=2)


def _elements(fragment: str) -> list[Element]:
    """Parse like a browser (html5lib) and return every element."""
    root = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    return [el for el in root.iter() if isinstance(el.tag, str) and el is not root]


def _local(name: str) -> str:
    """Strip an ElementTree '{namespace}' prefix."""
    return name.rsplit("}", 1)[-1].lower()


def _scheme(value: str) -> str | None:
    """Scheme a browser would see, lower-cased, or None for a relative URL.

    ``value`` comes from html5lib, which already decoded character references
    exactly once, as a browser does; whitespace and control characters that
    browsers strip or ignore are removed here.
    """
    value = re.sub(r"[\x00-\x20\x7f-\xa0\s\u200b-\u200f\u2028\u2029\ufeff]+", "", value)
    m = re.match(r"([a-z][a-z0-9+.\-]*):", value.lower())
    return m.group(1) if m else None


def _assert_safe(out: str) -> None:
    for el in _elements(out):
        tag = _local(el.tag)
        assert tag not in FORBIDDEN_TAGS, out
        assert tag in ALLOWED_TAGS, out
        for raw_name, value in el.attrib.items():
            name = _local(raw_name)
            assert not name.startswith("on"), out
            assert name in ALLOWED_ATTRS, out
            if name in ("href", "src"):
                scheme = _scheme(value)
                assert scheme is None or scheme in SAFE_SCHEMES, out


# --- corpus -----------------------------------------------------------------


def test_corpus_has_enough_distinct_payloads() -> None:
    lines = [x for x in CORPUS.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]
    duplicates = sorted({x for x in lines if lines.count(x) > 1})
    assert duplicates == [], "duplicate lines in the corpus"
    decoded = sorted({p for p in PAYLOADS if PAYLOADS.count(p) > 1})
    assert decoded == [], "lines that decode to the same payload"
    assert len(set(PAYLOADS)) >= 500


def test_every_family_is_in_the_slice() -> None:
    assert len(FAMILIES) >= 25 and sum(map(len, FAMILIES.values())) == len(PAYLOADS)
    assert len(SLICE) >= 50 and len(set(SLICE)) == len(SLICE)
    for name, payloads in FAMILIES.items():
        assert set(payloads) & set(SLICE), name


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_is_neutralised(payload: str) -> None:
    out = render_markdown(payload)
    _assert_safe(out)
    assert render_markdown(payload) == out  # stable
    out.encode("utf-8")  # always encodable for the response


@pytest.mark.parametrize("payload", PAYLOADS[::7], ids=range(len(PAYLOADS[::7])))
def test_payload_inside_other_markdown_is_neutralised(payload: str) -> None:
    # The same vectors nested in list items, quotes and tables.
    for wrapped in (f"- {payload}", f"> {payload}", f"| a |\n|---|\n| {payload} |"):
        _assert_safe(render_markdown(wrapped))


def test_checker_catches_unsafe_html() -> None:
    # Guard against a vacuous checker.
    for bad in (
        "<script>x</script>",
        '<a href="jav&#x09;ascript:x">x</a>',
        '<a href=" JAVASCRIPT:x">x</a>',
        '<p onclick="x">x</p>',
        "<svg></svg>",
        '<a href="data:text/html,x">x</a>',
    ):
        with pytest.raises(AssertionError):
            _assert_safe(bad)


# --- behaviour ----------------------------------------------------------------


def test_paragraphs_and_emphasis() -> None:
    out = render_markdown("Premier *paragraphe* et **gras**.\n\nSecond ~~barré~~.")
    assert out == (
        "<p>Premier <em>paragraphe</em> et <strong>gras</strong>.</p>\n"
        "<p>Second <s>barré</s>.</p>\n"
    )


def test_lists_and_blockquote() -> None:
    out = render_markdown("- un\n- deux\n\n1. a\n2. b\n\n> cité")
    assert "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>" in out
    assert "<ol>\n<li>a</li>\n<li>b</li>\n</ol>" in out
    assert "<blockquote>\n<p>cité</p>\n</blockquote>" in out


def test_code_keeps_text_escaped() -> None:
    out = render_markdown("```html\n<b>x</b> & y\n```\n\nInline `<i>` too.")
    assert "<pre><code>&lt;b&gt;x&lt;/b&gt; &amp; y\n</code></pre>" in out
    assert "<code>&lt;i&gt;</code>" in out
    assert "language-" not in out  # class attribute is not allowed


def test_link_gets_rel() -> None:
    out = render_markdown('[site](https://example.org/a?b=1&c=2 "Titre")')
    assert out == (
        '<p><a href="https://example.org/a?b=1&amp;c=2" title="Titre" '
        f'rel="{LINK_REL}">site</a></p>\n'
    )
    assert LINK_REL == "nofollow noopener noreferrer ugc"


def test_bare_url_and_email_are_linkified_with_rel() -> None:
    out = render_markdown("Voir https://example.org ou écrire à a@example.org")
    assert f'<a href="https://example.org" rel="{LINK_REL}">https://example.org</a>' in out
    assert f'<a href="mailto:a@example.org" rel="{LINK_REL}">a@example.org</a>' in out


def test_unsafe_link_becomes_text() -> None:
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"
    # Refused by bleach rather than by markdown-it: the <a> is unwrapped.
    assert render_markdown("[x](livescript:alert(1))") == "<p>x</p>\n"


def test_raw_html_is_shown_as_text() -> None:
    out = render_markdown('<b onclick="x">gras</b>\n\n<div>bloc</div>')
    assert "&lt;b onclick=&quot;x&quot;&gt;gras&lt;/b&gt;" in out or (
        '&lt;b onclick="x"&gt;gras&lt;/b&gt;' in out
    )
    assert "&lt;div&gt;bloc&lt;/div&gt;" in out
    assert "<b" not in out and "<div" not in out


def test_french_text_survives() -> None:
    src = "« Liberté, égalité, fraternité » — c’est l’œuvre d’Éloïse à Noël ; ça ira !"
    assert render_markdown(src) == f"<p>{src}</p>\n"


def test_headings_are_demoted() -> None:
    out = render_markdown("# Un\n## Deux\n### Trois\n#### Quatre\n###### Six\n\nT\n=")
    assert out == (
        "<h3>Un</h3>\n<h4>Deux</h4>\n<h5>Trois</h5>\n<h6>Quatre</h6>\n<h6>Six</h6>\n<h3>T</h3>\n"
    )


def test_table_renders_with_alignment() -> None:
    out = render_markdown("| Motion | Voix |\n|:--|--:|\n| A | 12 |")
    assert "<table>" in out and "<thead>" in out and "<tbody>" in out
    assert '<th align="left">Motion</th>' in out
    assert '<td align="right">12</td>' in out
    assert "style" not in out


def test_image_becomes_a_plain_link() -> None:
    out = render_markdown('![un graphique](https://example.org/g.png "Titre")')
    assert "<img" not in out
    assert out == (
        '<p><a href="https://example.org/g.png" title="Titre" '
        f'rel="{LINK_REL}">un graphique</a></p>\n'
    )
    # No alt text: the URL is the link text.
    out = render_markdown("![](https://example.org/g.png)")
    assert ">https://example.org/g.png</a>" in out
    # Image inside a link: only its alt text is kept (no nested links).
    out = render_markdown("[![logo](https://example.org/l.png)](https://example.org)")
    assert out == f'<p><a href="https://example.org" rel="{LINK_REL}">logo</a></p>\n'
    # An image with an unsafe source leaves its alt text only.
    assert render_markdown("![x](data:image/png;base64,AAAA)") == "<p>x</p>\n"


@pytest.mark.parametrize(
    "source",
    [
        "\x00",
        "a\x00b",
        "\ud800",
        "x \udfff y \ud800",
        "[\ud800](https://example.org/\ud800)",
        "\x01\x02\x0b\x0c\x1b\x7f\ufffe\uffff",
        "",
        " ",
        "\r\n\r\n",
    ],
)
def test_odd_input_does_not_crash(source: str) -> None:
    out = render_markdown(source)
    out.encode("utf-8")
    assert render_markdown(source) == out


def test_surrogates_are_replaced_and_pairs_kept() -> None:
    assert render_markdown("a\ud800b") == "<p>a\ufffdb</p>\n"
    assert render_markdown("\ud83d\ude00") == "<p>\U0001f600</p>\n"


@pytest.mark.parametrize(
    "source",
    [
        "Un débat sur la « réforme » des statuts. " * 5000,  # ~200 KB
        "[" * 200_000,
        "*a " * 70_000,
        ">" * 200_000,
        "- " * 100_000,
        "<script>" * 25_000,
        "https://example.org " * 10_000,
    ],
    ids=["prose", "brackets", "emphasis", "quotes", "lists", "tags", "urls"],
)
def test_very_long_input_does_not_crash(source: str) -> None:
    start = time.perf_counter()
    out = render_markdown(source)
    elapsed = time.perf_counter() - start
    assert isinstance(out, str)
    # Generous bound: catches a quadratic blow-up, not a slow machine.
    assert elapsed < 20, elapsed


def test_concurrent_rendering_is_consistent() -> None:
    sources = [f"Message {i} avec [lien](https://example.org/{i}) et *emphase*" for i in range(40)]
    expected = [render_markdown(s) for s in sources]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(render_markdown, sources * 5)) == expected * 5


def test_render_plain() -> None:
    assert render_plain("a < b & \"c\" 'd'\nligne 2\r\nligne 3") == (
        "a &lt; b &amp; &quot;c&quot; &#x27;d&#x27;<br>ligne 2<br>ligne 3"
    )
    assert render_plain("**pas** de [markdown](x)") == "**pas** de [markdown](x)"
    assert render_plain("\ud800\x00") == "\ufffd\ufffd"
    assert render_plain("") == ""


def test_random_mixtures_of_payloads_and_syntax_are_safe() -> None:
    # Seeded, so a failure is reproducible: splice corpus fragments with
    # Markdown punctuation to reach parser states the corpus lines miss.
    rng = random.Random(20240611)
    pieces = ["[", "]", "(", ")", "<", ">", "!", "`", "*", "_", "~", "|", "\n", "\n\n", "> ", "- "]
    pieces += ["&", "#", ":", '"', "'", " ", "javascript:", "&#x09;", "\x00", "\ud800"]
    for _ in range(300):
        parts = [rng.choice(pieces) for _ in range(rng.randint(0, 12))]
        payload = rng.choice(PAYLOADS)
        cut = rng.randint(0, len(payload))
        parts.insert(rng.randint(0, len(parts)), payload[:cut])
        parts.insert(rng.randint(0, len(parts)), payload[cut:])
        source = "".join(parts)
        out = render_markdown(source)
        _assert_safe(out)
        assert render_markdown(source) == out
