"""French typography in the interface: a narrow no-break space (U+202F) before ; ! ? and a no-break
space (U+00A0) before : and inside « », so that no mark is left alone at the start of a line.

Checked on what French readers get: the French catalogue once compiled, and the literal text of
the templates (outside code). User content is not ours to retype (forum.markup leaves it as typed);
URLs, times (10:30) and formats (HH:MM) are not punctuation.
"""

from __future__ import annotations

import ast
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


# --- French text written in Python: service errors, notifications, email subjects, command output ----------

PYTHON_SOURCES = sorted([*(ROOT / "forum").rglob("*.py"), *(ROOT / "moderation").rglob("*.py")])
# French is told from English by its words, or by a space before a mark, which English never writes.
FRENCH_WORD = re.compile(r"[àâçéèêëîïôûùœ]|\b(?:le|la|les|de|des|du|un|une|et|est|pour|vous|votre|vos|ce|cette|pas"
                         r"|en|au|aux|sur|par|qui|que|dans|avec|sans|ou|nous)\b", re.IGNORECASE)
SPACED_MARK = re.compile(r" [:;!?»]|« ")
REGEX_SYNTAX = re.compile(r"\(\?[:P=!<]|\\[sdbwSDBW]")
FORMAT_FIELD = re.compile(r"\{[^{}]*\}")  # str.format fields: in `{n:,}` the colon is a format spec
# Code in French-looking clothes: the FTS5 column filter `title : (…)` is sent to SQLite, never shown.
NOT_TEXT = {("forum/search.py", "title : (\x00) OR body : (\x00)")}


def _skipped_nodes(tree: ast.AST) -> tuple[set[int], set[int]]:
    """Ids of string nodes that are not text for a reader, and of the templates given to `fr()`.

    Not text: docstrings (English documentation), arguments of logging calls (server logs, read by
    operators; written in English anyway), regular expressions (arguments of `re.…` calls) and the
    searched-for argument of `.replace()`. Exception messages need no rule of their own: internal
    ones are English (STYLE.md: French in UI strings only), so a French one is meant to be read — a
    DomainError becomes the error page, a ValueError of the roster import is printed by the CLI."""
    skipped: set[int] = set()
    fr_templates: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if owner == "re" or "log" in owner:
            skipped.update(id(sub) for arg in node.args for sub in ast.walk(arg))
        elif name == "replace" and node.args:
            skipped.add(id(node.args[0]))
        elif name == "fr" and node.args:
            fr_templates.add(id(node.args[0]))
    return skipped, fr_templates


def python_french_texts(source: str, path: str) -> list[tuple[int, str]]:
    """(line, text) of each French string literal of a Python source as a reader gets it: an f-string's
    values and a format string's fields become a placeholder word; a template given to
    moderation.provenance.text.fr() is checked as fr() spaces it."""
    from moderation.provenance.text import fr

    tree = ast.parse(source)
    skipped, fr_templates = _skipped_nodes(tree)
    inside_fstrings = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                       for sub in ast.walk(node) if sub is not node}
    texts = []
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inside_fstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = fr(node.value) if id(node) in fr_templates else node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else EXPRESSION for v in node.values)
            text = fr(text) if id(node) in fr_templates else text
        else:
            continue
        text = FORMAT_FIELD.sub(EXPRESSION, text)
        if (FRENCH_WORD.search(text) or SPACED_MARK.search(text)) and not REGEX_SYNTAX.search(text) \
                and (path, text) not in NOT_TEXT:
            texts.append((node.lineno, node.col_offset, text))
    return [(line, text) for line, _, text in sorted(texts)]


def test_python_french_texts_are_the_strings_a_reader_gets():
    source = '''
"""Module: docstring; not read by members."""
import logging, re
from moderation.provenance.text import fr
log = logging.getLogger("x")
def f(n, title):
    """Docstring: skipped."""
    log.error("échec : %s", n)
    re.compile(r"(?:de|à) :")
    raise ValueError("unknown policy: %s" % n)
    a = fr("Lien invalide : corrigez-le.")
    b = f"Votre message dans « {title} » : {n:,} lectures"
    c = "Erreur : " + "{count:,} membres ; {when:%H:%M}".format(count=n, when=n)
    return "Signalement : " + "Mot de passe\u00a0: "
'''
    texts = [text for _, text in python_french_texts(source, "x.py")]
    assert texts == ["Lien invalide\u00a0: corrigez-le.", "Votre message dans « \x00 » : \x00 lectures", "Erreur : ",
                     "\x00 membres ; \x00", "Signalement : ", "Mot de passe\u00a0: "]
    assert [t for t in texts if faults(t)] == texts[1:5]


def test_french_text_in_python_keeps_french_typography():
    problems, checked = [], 0
    for path in PYTHON_SOURCES:
        relative = str(path.relative_to(ROOT))
        for line, text in python_french_texts(path.read_text(encoding="utf-8"), relative):
            checked += 1
            problems += [f"{relative}:{line}: {p}" for p in faults(text)]
    assert checked > 200  # the service errors, notifications, subjects and command output were all read
    assert problems == [], "\n".join(problems)


def test_progress_line_writes_numbers_and_units_the_french_way():
    from forum.progress import Progress

    out = io.StringIO()
    progress = Progress("import", 12000, stream=out)
    progress.update(4500, force=True)
    assert "4\u202f500/12\u202f000 ( 37,5\u202f%)" in out.getvalue()  # thin space between thousands, decimal comma
    assert re.search(r"· [\d\u202f]+/s · reste +\d+\u00a0s $", out.getvalue())
    progress.finish()
    assert re.search(r"\nimport\u00a0: terminé en \d+,\d\u00a0s\n$", out.getvalue())
    assert faults(out.getvalue()) == []
