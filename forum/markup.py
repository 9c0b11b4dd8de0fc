"""The single entry point that turns user-written text into safe HTML.

``render_markdown`` is the only function the rest of Tribune should use to
display a post body; ``render_plain`` is for short fields (titles, names).
This module is also the only place in the project that calls bleach.

Pipeline (two independent layers, so one bug does not become an XSS):

1. markdown-it-py, CommonMark preset with raw HTML disabled (``<b>`` in the
   source is shown as text), plus tables, strikethrough and, when
   linkify-it-py is installed, bare-URL linkification. A small core rule
   reshapes the token stream: headings are shifted down two levels
   (``#`` -> ``<h3>``, ``##`` -> ``<h4>``, ``###`` -> ``<h5>``, deeper ->
   ``<h6>``) so a post never outshouts the page title; images become plain
   links to the image (their alt text, or the URL, as link text) because
   there are no uploads yet and hot-linked images leak readers' IPs; table
   alignment becomes an ``align`` attribute instead of inline ``style``.
2. bleach's Cleaner with a plain-text allowlist (no style, img, svg, math,
   iframe, form...), attributes ``a[href, title]`` and ``th/td[align]``,
   URL schemes http/https/mailto only. A bleach filter then sets
   ``rel="nofollow noopener noreferrer ugc"`` on every remaining link.

Complexity: both stages are roughly linear in the input for ordinary text
(a 2 KB post renders in about a millisecond), but markdown-it has a few
known super-linear corner cases (e.g. long runs of unmatched brackets or
emphasis delimiters) and bleach re-parses the whole output. Nothing here
limits the length: callers must cap the source length (a few tens of
thousands of characters is plenty for a post) before calling.

Thread safety: the parser and the Cleaner are built once at import time.
bleach's Cleaner and linkify-it keep per-call state on the instance, so
each render holds a module lock; the work is pure Python and serialised by
the GIL anyway, so the lock costs next to nothing.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Iterator
from typing import Any

from bleach.html5lib_shim import Filter  # type: ignore[attr-defined]  # missing from types-bleach
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = ["LINK_REL", "render_markdown", "render_plain"]

_log = logging.getLogger(__name__)

#: rel value put on every link in rendered posts.
LINK_REL = "nofollow noopener noreferrer ugc"

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
_ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_ALIGN_VALUES = frozenset({"left", "center", "right"})


def _cell_attr_allowed(tag: str, name: str, value: str) -> bool:
    """Allow only a known ``align`` value on table cells."""
    return name == "align" and value in _ALIGN_VALUES


_ALLOWED_ATTRIBUTES: dict[str, Any] = {
    "a": ["href", "title"],
    "th": _cell_attr_allowed,
    "td": _cell_attr_allowed,
}


# --- stage 1: Markdown -------------------------------------------------------


def _inline_text(tokens: list[Token] | None) -> str:
    """Flatten inline tokens to their text, like the CommonMark image alt."""
    out: list[str] = []
    for tok in tokens or []:
        if tok.type in ("text", "text_special", "code_inline"):
            out.append(tok.content)
        elif tok.type == "image":
            out.append(_inline_text(tok.children))
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _reshape_inline(children: list[Token]) -> list[Token]:
    """Replace images by links (or by their alt text when already in a link)."""
    out: list[Token] = []
    link_depth = 0
    for tok in children:
        if tok.type == "link_open":
            link_depth += 1
        elif tok.type == "link_close":
            link_depth = max(0, link_depth - 1)
        if tok.type != "image":
            out.append(tok)
            continue
        src = str(tok.attrs.get("src", ""))
        alt = _inline_text(tok.children).strip()
        if link_depth or not src:
            # A link inside a link is invalid HTML: keep the words only.
            if alt:
                out.append(Token("text", "", 0, content=alt))
            continue
        attrs: dict[str, str | int | float] = {"href": src}
        if tok.attrs.get("title"):
            attrs["title"] = tok.attrs["title"]
        out.append(Token("link_open", "a", 1, attrs=attrs))
        out.append(Token("text", "", 0, content=alt or src))
        out.append(Token("link_close", "a", -1))
    return out


def _tribune_reshape(state: StateCore) -> None:
    """Core rule: demote headings, turn images into links, fix table align."""
    for tok in state.tokens:
        if tok.type in ("heading_open", "heading_close"):
            # h1 -> h3, h2 -> h4, h3 -> h5, h4..h6 -> h6.
            tok.tag = f"h{min(int(tok.tag[1]) + 2, 6)}"
        elif tok.type in ("th_open", "td_open"):
            style = str(tok.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                tok.attrs["align"] = style.removeprefix("text-align:")
        elif tok.type == "inline" and tok.children:
            tok.children = _reshape_inline(tok.children)


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.enable(["table", "strikethrough"])
    if md.linkify is not None:  # linkify-it-py is an optional extra
        md.options["linkify"] = True
        md.enable("linkify")
    # Last in the chain, so text created here is never linkified again.
    md.core.ruler.push("tribune_reshape", _tribune_reshape)
    return md


# --- stage 2: sanitising ------------------------------------------------------


class _LinkRelFilter(Filter):
    """bleach filter: set our rel on links, unwrap links that lost their href.

    It runs after bleach's sanitizer, so the attribute it adds is not
    subject to the allowlist, and any rel from upstream is overwritten.
    A link whose URL was refused (e.g. ``javascript:``) is reduced to its
    text rather than left as a dead ``<a>``.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        dropped = 0  # html5lib never nests <a>, but count to be safe
        for token in super().__iter__():
            if token.get("name") == "a":
                if token["type"] == "StartTag":
                    attrs = dict(token.get("data") or {})
                    if (None, "href") not in attrs:
                        dropped += 1
                        continue
                    attrs[(None, "rel")] = LINK_REL
                    token["data"] = attrs
                elif token["type"] == "EndTag" and dropped:
                    dropped -= 1
                    continue
                elif token["type"] == "EmptyTag":
                    continue
            yield token


_MD = _build_markdown()
_CLEANER = Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    protocols=_ALLOWED_PROTOCOLS,
    strip=True,  # an unexpected tag vanishes rather than showing as markup
    strip_comments=True,
    filters=[_LinkRelFilter],
)
_LOCK = threading.Lock()


def _clean_text(source: str) -> str:
    """Make any str encodable: lone surrogates and NUL become U+FFFD."""
    # A valid surrogate pair is re-joined into its character; a lone one
    # would make the page impossible to encode as UTF-8.
    source = source.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return source.replace("\x00", "\ufffd")


def render_markdown(source: str) -> str:
    """Render user Markdown to sanitised HTML safe to embed in a page.

    Never raises for a ``str`` argument and is deterministic (the same
    source always gives the same HTML). Does not limit the length: callers
    must validate it first (see the module docstring on complexity).
    """
    text = _clean_text(source)
    try:
        with _LOCK:
            html_out: str = _CLEANER.clean(_MD.render(text))
    except Exception:  # pragma: no cover - safety net, no known trigger
        # A parser bug must not take the thread page down: log it and show
        # the post as escaped text instead.
        _log.exception("render_markdown failed; falling back to plain text")
        return f"<p>{render_plain(text)}</p>\n"
    return html_out


def render_plain(source: str) -> str:
    """Escape plain text for HTML, keeping line breaks as ``<br>``.

    Meant for short fields (titles, signatures); no Markdown, no links.
    Quotes are escaped too, so the result is also safe inside an attribute
    value (where the ``<br>`` would of course show literally).
    """
    text = _clean_text(source).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(html.escape(line, quote=True) for line in text.split("\n"))
