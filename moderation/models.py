"""Moderation tables. They depend on forum's models (posts, members), never the reverse."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from forum.models import Base, UTCDateTime, _enum, utcnow


class ItemStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class Action(str, enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    KEEP = "keep"
    HIDE = "hide"
    RESTORE = "restore"
    LOCK = "lock"
    WARN = "warn"
    SUSPEND = "suspend"


class ReviewItem(Base):
    """One case per post: it gathers the checker's reasons (and, later, the reports)."""

    __tablename__ = "review_items"
    __table_args__ = (
        # At most one open item per post, on both backends (partial unique index).
        Index("uq_review_items_open_post", "post_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_review_items_status_opened", "status", "opened_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "item_status"), default=ItemStatus.OPEN)
    # [{"source": "checker", "code", "message"}]
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """A moderator's decision, always with a reason."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    action: Mapped[Action] = mapped_column(_enum(Action, "decision_action"))
    reason_code: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
