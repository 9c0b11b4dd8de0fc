"""Moderation tables. They depend on forum's models (posts, members), never the reverse."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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
        # A federation's queue (a federation moderator's scope, the federation filter) walked in
        # order from its own items, not filtered out of the whole national queue (migration 0008).
        Index("ix_review_items_status_federation_opened", "status", "federation_id", "opened_at", "id"),
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
    # The category's federation, denormalised for the queue's scope, filters and keyset index
    # (categories never change federation and topics never change category; 0008 filled the
    # items opened before the column existed).
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("federations.id", name="fk_review_items_federation_id"))


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
    suspend_days: Mapped[int | None] = mapped_column(Integer)


class Report(Base):
    """One member's report of one post. The reporter is known to moderators only."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id", name="uq_reports_post_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    review_item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppealStatus(str, enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class Appeal(Base):
    """An author's single appeal of a decision, decided by another moderator."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    appellant_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus, "appeal_status"), default=AppealStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason_text: Mapped[str] = mapped_column(Text, default="")


class NoteStatus(str, enum.Enum):
    SHOWN = "shown"
    PROPOSED = "proposed"
    WITHDRAWN = "withdrawn"


class ContextNote(Base):
    """A public note under a post: written by a moderator, or proposed by a member and
    shown only when supporters of different candidates agree it helps."""

    __tablename__ = "context_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    by_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[NoteStatus] = mapped_column(_enum(NoteStatus, "note_status"), default=NoteStatus.PROPOSED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoteRating(Base):
    __tablename__ = "note_ratings"
    __table_args__ = (UniqueConstraint("note_id", "member_id", name="uq_note_ratings_note_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("context_notes.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
