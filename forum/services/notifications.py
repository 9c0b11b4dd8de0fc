"""In-forum notifications, also sent by email."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.context import Context
from forum.models import Member, Notification

log = logging.getLogger("tribune.notifications")


def notify(ctx: Context, session: Session, member_id: int, text: str, link: str = "",
           email_subject: str | None = None, email_text: str | None = None) -> Notification:
    """Record a notification for a member and, with a subject, email it.

    An SMTP failure is logged, not raised: the decision that caused the notice must
    not be lost because the mail server is down, and the in-forum notice remains.
    """
    notification = Notification(member_id=member_id, text=text, link=link, created_at=ctx.clock())
    session.add(notification)
    if email_subject:
        email = session.scalar(select(Member.email).where(Member.id == member_id))
        if email:
            body = email_text or text
            if link:
                body += f"\n\n{ctx.url(link)}\n"
            try:
                ctx.mailer.send(email, email_subject, body)
            except OSError as exc:
                log.error("notification email to member %s failed: %s", member_id, exc)
    return notification


def unread_count(session: Session, member_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    ) or 0


def latest(session: Session, member_id: int, limit: int = 50) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.member_id == member_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def mark_all_read(ctx: Context, session: Session, member_id: int) -> None:
    session.execute(
        update(Notification).where(Notification.member_id == member_id, Notification.read_at.is_(None))
        .values(read_at=ctx.clock())
    )
