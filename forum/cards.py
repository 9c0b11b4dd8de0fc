"""Rendered post cards, kept while what they show is unchanged.

A card is a pure function of its inputs: the post row (with its quote cards and the replies
of the people quoted), the notes and signatures under it, the date text, and the viewer
reduced to what a card can show about them (their id only when the card concerns them, and
whether they moderate). The cache key is a digest of exactly these inputs, read from the
database on every request: any edit, moderation decision, note, rating, signature or reply
changes the key, so there is nothing to invalidate and nothing stale to serve, on one worker
or many. The template never sees anything that is not in the key.

The CSRF token, the one per-request secret a card holds, is rendered as a random slot and
filled in when the page is assembled.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from jinja2 import Environment
from markupsafe import Markup

from forum.queries import PostRow


class CardViewer(NamedTuple):
    """What a card may know of its reader: `id` is 0 unless the card concerns them."""

    id: int
    is_moderator: bool


def viewer_for(post: PostRow, notes: Sequence[Any], signatures: Sequence[Any] | None,
               member_id: int, is_moderator: bool) -> CardViewer:
    """The reader as this card sees them: author, person quoted, co-signer, or anyone."""
    concerned = member_id == post.author_id
    if not concerned and post.quotes:
        concerned = any(q.quoted_member_id == member_id for q in post.quotes)
    if not concerned and signatures:
        concerned = any(s.member_id == member_id for s in signatures)
    return CardViewer(member_id if concerned else 0, is_moderator)


class CardCache:
    """Post cards rendered once per distinct input, in a bounded in-process table."""

    def __init__(self, env: Environment, max_cards: int = 4096) -> None:
        self._template = env.get_template("_post_card.html")
        self._reply_template = env.get_template("_reply_fields.html")
        self._reply_fields: str | None = None
        self._max = max_cards
        self._cards: dict[tuple[Any, ...], str] = {}
        self._lock = threading.Lock()
        # Unguessable, so that no member's text can contain it (bodies are escaped besides).
        self.slot = "csrf-" + secrets.token_hex(16)
        self.hits = 0
        self.misses = 0

    def render(self, post: PostRow, notes: Sequence[Any], signatures: Sequence[Any] | None,
               when_text: str, viewer: CardViewer) -> str:
        # Frozen dataclasses and tuples of plain values: the key compares equal exactly when every
        # field does (a hash collision costs a render, never a wrong card).
        key = (post, tuple(notes), tuple(signatures) if signatures is not None else None, when_text, viewer)
        html = self._cards.get(key)
        if html is not None:
            self.hits += 1
            return html
        self.misses += 1
        html = self._template.render(post=post, notes=notes, signatures=signatures, when_text=when_text,
                                     me=viewer, csrf_token=lambda: self.slot)
        with self._lock:
            if len(self._cards) >= self._max:
                # Oldest first: dicts keep insertion order.
                self._cards.pop(next(iter(self._cards)), None)
            self._cards[key] = html
        return html

    def reply_fields(self, draft: Any, errors: dict[str, str], csrf_token: str) -> Markup:
        """The reply form's fields: an empty draft's are the same for everyone, rendered once."""
        empty = not errors and not draft.body and not draft.quotes
        html = self._reply_fields if empty else None
        if html is None:
            html = self._reply_template.render(draft=draft, errors=errors,
                                               csrf_token=lambda: self.slot)
            if empty:
                self._reply_fields = html
        return Markup(html.replace(self.slot, csrf_token))

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
            parts.append(self.render(post, notes, signatures, when(post.created_at), viewer))
        html = "".join(parts)
        if self.slot in html:
            html = html.replace(self.slot, csrf_token)
        return Markup(html)
