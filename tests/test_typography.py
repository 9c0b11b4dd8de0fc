"""French typography in the interface: a narrow no-break space (U+202F) before ; ! ? and a no-break
space (U+00A0) before : and inside « », so that no mark is left alone at the start of a line.

Checked on what French readers get: the French catalogue once compiled, and the literal text of
the templates (outside code). User content is not ours to retype (forum.markup leaves it as typed);
URLs, times (10:30) and formats (HH:MM) are not punctuation.
"""

from __future__ import annotations

import gettext
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
NNBSP, NBSP = "\u202f", "\u00a0"
EXPRESSION = "\x00"  # where a template prints a value: some word we cannot see
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# A mark that ends a clause: followed by a space, the end, a closing sign or a printed value.
CLAUSE_END = r"(?=[\s\u00a0\u202f»)\"’.,\x00]|$)"
RULES = [
    (re.compile(r"(?<![!?…])(?<!\u202f)[;!?]" + CLAUSE_END), "U+202F avant « ; ! ? »"),
    (re.compile(r"(?<!\u00a0):" + CLAUSE_END), "U+00A0 avant « : »"),
    (re.compile(r"«(?!\u00a0)"), "U+00A0 après « « »"),
    (re.compile(r"(?<!\u00a0)»"), "U+00A0 avant « » »"),
]


def faults(text: str) -> list[str]:
    """Each place in `text` where French typography is not kept, with the rule it breaks."""
    text = URL.sub("URL", text)
    found = []
    for pattern, rule in RULES:
        for match in pattern.finditer(text):
            if match.start() == 0 and match.group() in ";!?:»":
                continue  # a text node starting with the mark: the space, if any, is in markup we do not see
            found.append(f"{rule} : …{text[max(0, match.start() - 25):match.end() + 10]!r}…")
    return found


def test_the_rules_catch_ordinary_and_missing_spaces_but_not_times_urls_or_formats():
    assert faults("Motif : refus") and faults("Motif: refus") and faults("Vraiment ?") and faults("« citation »")
    assert faults("« citation\u00a0»") and faults(f"Oui{NBSP}!")  # the wrong space for the mark
    assert faults(f"«{NBSP}{EXPRESSION} »")
    ok = f"Motif{NBSP}: voir https://exemple.org/a?b=1;c à 10:30, au format HH:MM{NNBSP}; «{NBSP}citation{NBSP}» {NBSP}?!"
    assert faults(ok) == []


# --- the compiled French catalogue -----------------------------------------------------------------------


def _french_catalogue() -> tuple[list[tuple[str, str | None]], gettext.GNUTranslations]:
    with open(ROOT / "forum/locale/fr/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po, locale="fr")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # what `pybabel compile` writes (fuzzy entries left out, as there)
    compiled.seek(0)
    ids = [(m.id[0], m.id[1]) if isinstance(m.id, tuple) else (m.id, None) for m in catalog if m.id]
    return ids, gettext.GNUTranslations(compiled)


def test_french_catalogue_keeps_french_typography():
    ids, french = _french_catalogue()
    assert len(ids) > 300
    problems = []
    for singular, plural in ids:
        shown = [french.gettext(singular)] if plural is None else [french.ngettext(singular, plural, n) for n in (1, 2)]
        problems += [f"{singular!r} -> {p}" for text in shown for p in faults(text)]
    assert problems == [], "\n".join(problems)


# --- literal French text of the templates -------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees, and the attributes read aloud or shown, outside code."""

    SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}
    CODE = {"code", "pre", "kbd", "samp", "script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.CODE:
            self.in_code += 1
        self.chunks += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.CODE and self.in_code:
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.chunks.append(data)


def template_text(source: str) -> list[str]:
    """The literal text of a template: its markup with every {{ … }} and {% … %} replaced by a
    placeholder word (what `_()` prints is checked in the catalogue)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    pieces = []
    for _, token, value in env.lex(source):
        if token == "data":
            pieces.append(value)
        elif token in ("variable_begin", "block_begin") and pieces[-1:] != [EXPRESSION]:
            pieces.append(EXPRESSION)
    parser = _Text()
    parser.feed("".join(pieces))
    parser.close()
    return parser.chunks


TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))


def test_template_text_is_what_the_reader_sees():
    chunks = template_text('<p title="Voir : x">{{ kind }} : {{ n }}</p><code>a ; b</code>{% if x %}« oui »{% endif %}')
    assert chunks == ["Voir : x", "\x00 : \x00", "\x00« oui »\x00"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_literals_keep_french_typography(template: Path):
    problems = [p for chunk in template_text(template.read_text(encoding="utf-8")) for p in faults(chunk)]
    assert problems == [], "\n".join(problems)
