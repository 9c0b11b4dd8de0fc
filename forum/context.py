"""What services need from the outside world, built once by the app factory or the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, field

from forum.db import Database
from forum.events import DraftChecker, Events, PostExtra
from forum.mail import Mailer
from forum.models import utcnow
from forum.security import Signers
from forum.settings import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    signers: Signers
    mailer: Mailer
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    events: Events = field(default_factory=Events)
    # Installed by the app factory (moderation's provenance checker); None runs no check.
    checker: DraftChecker | None = None
    # Extra things shown under posts (moderation's context notes...): name -> loader
    # (session, post ids, viewer id) -> {post id: items}. Filled by the app factory.
    post_extras: dict[str, PostExtra] = field(default_factory=dict)
    # For an extra of the same name, a column expression correlated to posts.id that is NULL
    # when the post has nothing of that kind: the page then asks that loader only for the
    # posts that have some (most pages have no context note).
    post_probes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> "Context":
        return cls(
            settings=settings,
            db=db or Database(settings),
            signers=Signers(settings.secret_key),
            mailer=Mailer(settings),
        )

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"
