"""Rendered post cards, kept while what they show is unchanged.

A card is a pure function of its inputs: the post row (with its quote cards and the replies
of the people quoted), the notes and signatures under it, the date text, and the viewer
reduced to what a card can show about them (their id only when the card concerns them, and
whether they moderate). The cache key is exactly these inputs, read from the
database on every request: any edit, moderation decision, note, rating, signature or reply
changes the key, so there is nothing to invalidate and nothing stale to serve, on one worker
or many. The template never sees anything that is not in the key.

The CSRF token, the one per-request secret a card holds, is rendered as a fresh random slot
where the template asks for it; the card is kept cut at those slots and joined with each
reader's own token.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from jinja2 import Environment
from markupsafe import Markup, escape

from forum.queries import PostRow


class CardViewer(NamedTuple):
    """What a card may know of its reader: `id` is None unless the card concerns them."""

    id: int | None
    is_moderator: bool


def viewer_for(post: PostRow, notes: Sequence[Any], signatures: Sequence[Any] | None,
               member_id: int, is_moderator: bool) -> CardViewer:
    """The reader as this card sees them: author, person quoted, co-signer, or anyone."""
    concerned = member_id == post.author_id
    if not concerned and post.quotes:
        concerned = any(q.quoted_member_id == member_id for q in post.quotes)
    if not concerned and signatures:
        concerned = any(s.member_id == member_id for s in signatures)
    return CardViewer(member_id if concerned else None, is_moderator)


class HeaderReader(NamedTuple):
    """What the site header shows of its reader."""

    id: int
    display_name: str
    is_moderator: bool


class _Slot:
    """A value a kept fragment leaves open. The template sees a fresh random marker, as text
    (`{{ name }}`) or as a call (`{{ csrf_token() }}`), and each use is counted: the rendered
    HTML is then cut at the markers, so the value goes exactly where the template asked for it
    and nowhere else, whatever the members wrote."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.marker = "slot-" + secrets.token_hex(16)
        self.uses = 0

    def __html__(self) -> str:
        self.uses += 1
        return self.marker

    def __call__(self) -> Markup:
        self.uses += 1
        return Markup(self.marker)


def _render_cut(template: Any, names: Sequence[str], context: dict[str, Any]) -> tuple[str, ...] | None:
    """The template rendered with a slot for each name, cut into literal text (even places) and
    slot names (odd places); None if a marker showed up other than where the template put it
    (it cannot, short of guessing a fresh random marker)."""
    slots = {name: _Slot(name) for name in names}
    html = template.render(**context, **slots)
    by_marker = {slot.marker: slot.name for slot in slots.values()}
    pieces = re.split("(" + "|".join(by_marker) + ")", html)
    pieces[1::2] = [by_marker[marker] for marker in pieces[1::2]]
    found = Counter(pieces[1::2])
    if any(found[slot.name] != slot.uses for slot in slots.values()):
        return None
    return tuple(pieces)


class _Value:
    """A per-request value as the template sees it when a fragment is rendered plainly (its cut
    failed): text (`{{ name }}`) or a call (`{{ name() }}`), asked for only if used, escaped
    unless it is markup."""

    def __init__(self, value: Any) -> None:
        self._value = value
        self._text: Markup | None = None

    def __html__(self) -> str:
        if self._text is None:
            self._text = escape(self._value() if callable(self._value) else self._value)
        return str(self._text)

    def __call__(self) -> Markup:
        return Markup(self.__html__())


def _fill(pieces: tuple[str, ...], values: dict[str, Any]) -> str:
    """Kept pieces joined with this request's values: a callable value is asked once, if used,
    and a value that is not markup is escaped, as the template would have done."""
    out = list(pieces)
    asked: dict[str, str] = {}
    for i in range(1, len(out), 2):
        name = out[i]
        if name not in asked:
            value = values[name]
            asked[name] = str(escape(value() if callable(value) else value))
        out[i] = asked[name]
    return "".join(out)


class _Table:
    """An in-process table bounded in characters, oldest entries going first."""

    def __init__(self, max_chars: int) -> None:
        self._max_chars = max_chars
        self.entries: dict[Any, tuple[Any, int]] = {}
        self.chars = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        found = self.entries.get(key)
        return None if found is None else found[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        with self._lock:
            replaced = self.entries.pop(key, None)  # two requests may render the same entry at once
            if replaced is not None:
                self.chars -= replaced[1]
            while self.entries and self.chars + size > self._max_chars:
                _, freed = self.entries.pop(next(iter(self.entries)))  # dicts keep insertion order
                self.chars -= freed
            self.entries[key] = (value, size)
            self.chars += size


class Fragments:
    """Parts of pages rendered once per distinct input, like the cards: the caller passes the
    key and a context built from the key alone, plus the per-request values (the CSRF token,
    the cards) that are filled into the kept fragment's slots."""

    def __init__(self, env: Environment, max_chars: int = 8_000_000) -> None:
        self._env = env
        self._table = _Table(max_chars)
        self.hits = 0
        self.misses = 0

    def render(self, name: str, key: tuple[Any, ...], context: dict[str, Any], values: dict[str, Any]) -> Markup:
        pieces = self._table.get((name, key))
        if pieces is not None:
            self.hits += 1
            return Markup(_fill(pieces, values))
        self.misses += 1
        template = self._env.get_template(name)
        pieces = _render_cut(template, tuple(values), context)
        if pieces is None:  # cannot happen short of guessing a fresh random marker: render plainly
            return Markup(template.render(**context, **{n: _Value(v) for n, v in values.items()}))
        self._table.put((name, key), pieces, 2 * sum(map(len, pieces[0::2])))
        return Markup(_fill(pieces, values))


class CardCache:
    """Post cards rendered once per distinct input, in an in-process table bounded in size.

    Each entry holds its key (the inputs, so the post's text) and the rendered card cut at its
    CSRF slots; both are counted against `max_chars`, oldest entries going first. A card larger
    than `max_card_chars` is rendered every time rather than kept.
    """

    def __init__(self, env: Environment, max_chars: int = 24_000_000, max_card_chars: int = 64_000) -> None:
        self._template = env.get_template("_post_card.html")
        self._reply_template = env.get_template("_reply_fields.html")
        self._reply_fields: tuple[str, ...] | None = None
        self._max_card_chars = max_card_chars
        self._table = _Table(max_chars)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _render_cut(template: Any, csrf_token: str, **context: Any) -> tuple[tuple[str, ...] | None, str]:
        """The template's text between its CSRF slots (None if it cannot be cut), and the page text."""
        pieces = _render_cut(template, ("csrf_token",), context)
        if pieces is None:  # cannot happen short of guessing a fresh random slot: render plainly
            return None, template.render(csrf_token=_Value(csrf_token), **context)
        parts = pieces[0::2]
        return parts, csrf_token.join(parts)

    def render(self, post: PostRow, notes: Sequence[Any], signatures: Sequence[Any] | None,
               when_text: str, viewer: CardViewer, csrf_token: str) -> str:
        # Named tuples of plain values: the key compares equal exactly when every field does
        # (a hash collision costs a render, never a wrong card).
        key = (post, tuple(notes), tuple(signatures) if signatures is not None else None, when_text, viewer)
        found = self._table.get(key)
        if found is not None:
            self.hits += 1
            return csrf_token.join(found)
        self.misses += 1
        parts, html = self._render_cut(self._template, csrf_token, post=post, notes=notes, signatures=signatures,
                                       when_text=when_text, me=viewer)
        # What the entry costs: the inputs it keeps as its key are about the size of the card.
        size = 2 * len(html)
        if parts is not None and size <= 2 * self._max_card_chars:
            self._table.put(key, parts, size)
        return html

    def reply_fields(self, draft: Any, errors: dict[str, str], csrf_token: str) -> Markup:
        """The reply form's fields: an empty draft's are the same for everyone, rendered once."""
        empty = not errors and not draft.body and not draft.quotes
        if empty and self._reply_fields is not None:
            return Markup(csrf_token.join(self._reply_fields))
        parts, html = self._render_cut(self._reply_template, csrf_token, draft=draft, errors=errors)
        if empty and parts is not None:
            self._reply_fields = parts
        return Markup(html)

    def page(self, posts: Sequence[PostRow], extras: dict[str, dict[int, list[Any]]], member_id: int,
             is_moderator: bool, when: Any, csrf_token: str) -> Markup:
        """The cards of one topic page, with this request's CSRF token in their forms."""
        notes_by_post = extras.get("notes", {})
        signatures_by_post = extras.get("signatures", {})
        parts = []
        for post in posts:
            notes = notes_by_post.get(post.id, [])
            signatures = signatures_by_post.get(post.id, [])
            viewer = viewer_for(post, notes, signatures, member_id, is_moderator)
            parts.append(self.render(post, notes, signatures, when(post.created_at), viewer, csrf_token))
        return Markup("".join(parts))
