"""Forum events and the hooks other packages plug into.

forum never imports moderation: the app factory subscribes moderation's handlers
here and installs its draft checker, so the dependency runs one way only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session

POST_SAVED = "post_saved"  # (session, post, holds): a post was created or edited


class CheckFinding(Protocol):
    """What the forum needs of a checker finding (moderation.provenance.Finding fits)."""

    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def quote_index(self) -> int | None: ...
    @property
    def field(self) -> str | None: ...


@dataclass
class QuoteInput:
    """A structured quote as entered in the post form."""

    kind: str = "tweet"
    author: str = ""
    handle: str = ""
    said_at: str = ""
    source_url: str = ""
    archive_url: str = ""
    context: str = ""
    text: str = ""
    attachment_id: int | None = None
    quoted_post_id: int | None = None
    # The member quoted (an email address or a membership number), for the right of reply.
    quoted_member_ref: str = ""
    # Filled by the posting service, not by the form:
    attachment_name: str = ""
    attachment_sha256: str = ""
    quoted_member_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "author": self.author, "handle": self.handle, "said_at": self.said_at,
            "source_url": self.source_url, "archive_url": self.archive_url, "context": self.context,
            "text": self.text, "attachment_id": self.attachment_id, "quoted_post_id": self.quoted_post_id,
            "quoted_member_ref": self.quoted_member_ref,
        }


@dataclass
class DraftInput:
    body: str
    policy: str  # the category's moderation policy: "general" or "debate"
    quotes: list[QuoteInput] = field(default_factory=list)


DraftChecker = Callable[[Session, DraftInput], Sequence[CheckFinding]]
# (the page's snapshot connection, its post rows, viewer id) -> {post id: items}
PostExtra = Callable[[Connection, list[Any], int], dict[int, Any]]
Handler = Callable[..., None]


class Events:
    """Synchronous, in-transaction events: a handler's writes commit or roll back with the post."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        if handler not in self._handlers[name]:
            self._handlers[name].append(handler)

    def emit(self, name: str, **payload: Any) -> None:
        for handler in self._handlers[name]:
            handler(**payload)
