"""SQLAlchemy 2 typed models. Relationships are lazy="raise": queries load what pages show."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        return _as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], dt.datetime | None] | None:
        # SQLite returns the text SQLAlchemy wrote ("2026-11-26 10:00:00.000000", UTC): parsed
        # (as SQLAlchemy's own parser does, with fromisoformat) and made aware in one step, where
        # the TypeDecorator chain costs ~3 µs a value (a topic page reads 26 of them).
        if dialect.name == "sqlite":
            return _sqlite_utc
        return super().result_processor(dialect, coltype)


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored instant as an aware UTC datetime (SQLite hands them back naive)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _sqlite_utc(value: str | dt.datetime | None) -> dt.datetime | None:
    return _parsed_utc(value) if isinstance(value, str) else _as_utc(value)


@functools.lru_cache(maxsize=8192)
def _parsed_utc(text: str) -> dt.datetime | None:
    """SQLite's text of an instant, parsed once: the hot pages read the same few hundred
    timestamps over and over (datetimes are immutable, so one object serves every reader)."""
    return _as_utc(dt.datetime.fromisoformat(text))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the value strings with a CHECK constraint, portable to both backends.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda e: [m.value for m in e])


class MemberStatus(str, enum.Enum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


class Role(str, enum.Enum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class PostKind(str, enum.Enum):
    MESSAGE = "message"
    STATEMENT = "statement"
    QUESTION = "question"
    POSITION_REPLY = "position_reply"


class PostStatus(str, enum.Enum):
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    DELETED = "deleted"


class QuoteKind(str, enum.Enum):
    TWEET = "tweet"
    SOCIAL = "social"
    EMAIL = "email"
    SMS = "sms"
    ARTICLE = "article"
    VIDEO = "video"
    INTERNAL = "internal"
    DOCUMENT = "document"


class NotifyPref(str, enum.Enum):
    EACH = "each"
    DIGEST = "digest"
    NONE = "none"


class ModerationPolicy(str, enum.Enum):
    GENERAL = "general"
    DEBATE = "debate"


class Federation(Base):
    __tablename__ = "federations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("federations.id"), index=True)
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus, "member_status"), default=MemberStatus.INVITED)
    role: Mapped[Role] = mapped_column(_enum(Role, "member_role"), default=Role.MEMBER)
    # A moderator with no federation here is a national moderator.
    moderated_federation_id: Mapped[int | None] = mapped_column(ForeignKey("federations.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A suspension for N days ends by itself at this moment (None: until an admin lifts it).
    suspended_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notify_pref: Mapped[NotifyPref] = mapped_column(_enum(NotifyPref, "notify_pref"), default=NotifyPref.EACH)

    federation: Mapped[Federation | None] = relationship(foreign_keys=[federation_id], lazy="raise")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def can_log_in(self) -> bool:
        return self.status == MemberStatus.ACTIVE and self.password_hash is not None


class UserSession(Base):
    """A server-side session. The cookie holds the signed random id; only its SHA-256 is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class UsedToken(Base):
    """Single-use tokens (invitation, password reset) once spent."""

    __tablename__ = "used_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateEvent(Base):
    """One counted action (a failed login, an email sent...). Rows, so every worker sees them."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    moderation_policy: Mapped[ModerationPolicy] = mapped_column(
        _enum(ModerationPolicy, "moderation_policy"), default=ModerationPolicy.GENERAL
    )
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("federations.id"))
    # The designation whose questions this category holds (one category per designation).
    designation_id: Mapped[int | None] = mapped_column(ForeignKey("designations.id", name="fk_categories_designation_id"))
    # Distinct reporters that mask a post pending review.
    report_threshold: Mapped[int] = mapped_column(Integer, default=3)
    topic_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_category_last", "category_id", "last_post_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Highest post number given out; numbers are positions, so a page is a range scan.
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mirrors the first post: a topic whose opening post is held is seen by its author only,
    # so a smear cannot travel in a title either.
    status: Mapped[PostStatus] = mapped_column(_enum(PostStatus, "topic_status"), default=PostStatus.PUBLISHED)

    category: Mapped[Category] = relationship(lazy="raise")
    author: Mapped[Member] = relationship(lazy="raise")


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("topic_id", "number", name="uq_posts_topic_number"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[PostKind] = mapped_column(_enum(PostKind, "post_kind"), default=PostKind.MESSAGE)
    status: Mapped[PostStatus] = mapped_column(_enum(PostStatus, "post_status"), default=PostStatus.PUBLISHED)
    source: Mapped[str] = mapped_column(Text)
    # Sanitised HTML, cooked once at write: the only post HTML a template marks safe.
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revision_count: Mapped[int] = mapped_column(Integer, default=1)
    # Why the post waits for a moderator, as shown to its author: [{"code", "message"}].
    hold_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Enough members reported it: shown to others as "masqué en attente de modération".
    masked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    topic: Mapped[Topic] = relationship(lazy="raise")
    author: Mapped[Member] = relationship(lazy="raise")


class PostRevision(Base):
    """Every version of a post, the first included: there is no silent edit."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number", name="uq_post_revisions_post_number"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The quotes as they stood in this version: editing a quote is no silent edit either.
    quotes: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # Whether others ever saw this version (published, or approved by moderation). A held
    # version stays with its author and moderators: the history must not publish it later.
    visible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    editor: Mapped[Member] = relationship(lazy="raise")


class Attachment(Base):
    """An uploaded file. The type is decided from the bytes; images are re-encoded without
    metadata; an .eml is kept byte for byte. Stored in the database so every node serves it."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quote(Base):
    """A structured quote carried by a post: shown as its own card, never merged."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("post_id", "position", name="uq_quotes_post_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuoteKind] = mapped_column(_enum(QuoteKind, "quote_kind"))
    author: Mapped[str] = mapped_column(String(200), default="")
    handle: Mapped[str] = mapped_column(String(200), default="")
    # As declared (ISO 8601 date or date-time, Europe/Paris when naive): precision matters to the checks.
    said_at: Mapped[str] = mapped_column(String(40), default="")
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    archive_url: Mapped[str] = mapped_column(String(2000), default="")
    context: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    quoted_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    quoted_revision_id: Mapped[int | None] = mapped_column(ForeignKey("post_revisions.id"))
    # The member quoted, when known (internal quotes): who gets the right of reply.
    quoted_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    # Checker results for this quote: [{"code", "severity", "message"}], shown as badges.
    findings: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class AuditEntry(Base):
    """The journal: append-only, each entry chained to the previous one by SHA-256.

    `public` is what the transparency page may show; `private` (reporters, free text,
    names) stays with admins. Both are covered by the hash.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    public: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    private: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Notification(Base):
    """An in-forum notification; the same event may also be emailed."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_member_created", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When it left by email (each event at once, or in the daily digest); None: not yet / never.
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CandidacyStatus(str, enum.Enum):
    DECLARED = "declared"
    VALIDATED = "validated"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Designation(Base):
    """A designation (head of list, primary, nominations). Its phase is derived from the
    calendar, never stored."""

    __tablename__ = "designations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # None: national; otherwise the one federation whose members take part.
    federation_id: Mapped[int | None] = mapped_column(ForeignKey("federations.id"))
    candidacies_open_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    candidacy_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    debate_ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    vote_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    one_endorsement: Mapped[bool] = mapped_column(Boolean, default=True)
    endorsers_public: Mapped[bool] = mapped_column(Boolean, default=True)
    voting_url: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Candidacy(Base):
    __tablename__ = "candidacies"
    __table_args__ = (UniqueConstraint("designation_id", "member_id", name="uq_candidacies_designation_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("designations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[CandidacyStatus] = mapped_column(_enum(CandidacyStatus, "candidacy_status"), default=CandidacyStatus.DECLARED)
    # The profession de foi: Markdown kept, HTML cooked once; every version in candidacy_revisions.
    statement_source: Mapped[str] = mapped_column(Text, default="")
    statement_html: Mapped[str] = mapped_column(Text, default="")
    revision_count: Mapped[int] = mapped_column(Integer, default=1)
    photo_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CandidacyRevision(Base):
    __tablename__ = "candidacy_revisions"
    __table_args__ = (UniqueConstraint("candidacy_id", "number", name="uq_candidacy_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacies.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Endorsement(Base):
    """A member's public support (parrainage) of a candidacy; a withdrawal keeps the row."""

    __tablename__ = "endorsements"
    __table_args__ = (Index("ix_endorsements_designation_member", "designation_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("designations.id"))
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacies.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Committee(Base):
    """A support committee: a candidate's supporters in one federation."""

    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("candidacy_id", "federation_id", name="uq_committees_candidacy_federation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidacy_id: Mapped[int] = mapped_column(ForeignKey("candidacies.id"))
    federation_id: Mapped[int] = mapped_column(ForeignKey("federations.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitteeMember(Base):
    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("committee_id", "member_id", name="uq_committee_members"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class QuoteReply(Base):
    """The quoted member's reply, shown on the quote card wherever it appears."""

    __tablename__ = "quote_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # The quote's text when the reply was written: a later correction of the quote is shown as such.
    quote_text: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Cosignature(Base):
    """A co-signatory of a statement: invited, then signs a given revision; a signature on
    an older revision must be renewed, a withdrawal is kept."""

    __tablename__ = "cosignatures"
    __table_args__ = (UniqueConstraint("post_id", "member_id", name="uq_cosignatures_post_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_revision: Mapped[int | None] = mapped_column(Integer)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
