"""In-forum notifications, also sent by email."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.context import Context
from forum.db import after_commit
from forum.errors import ValidationFailed
from forum.models import Member, Notification, NotifyPref

log = logging.getLogger("tribune.notifications")


def notify(ctx: Context, session: Session, member_id: int, text: str, link: str = "",
           email_subject: str | None = None, email_text: str | None = None) -> Notification:
    """Record a notification for a member and email it as their preference says.

    "each": at once; "digest": in the daily summary (`python -m forum send-digests`);
    "none": in the forum only. An SMTP failure is logged, not raised: the decision that
    caused the notice must not be lost because the mail server is down.
    """
    notification = Notification(member_id=member_id, text=text, link=link, created_at=ctx.clock())
    session.add(notification)
    row = session.execute(select(Member.email, Member.notify_pref).where(Member.id == member_id)).first()
    if email_subject and row is not None and row.notify_pref == NotifyPref.EACH:
        subject = email_subject
        body, html = ctx.mailer.render("notification", {
            "subject": subject, "text": email_text or text, "link": ctx.url(link) if link else "",
            "preferences": ctx.url("/notifications/preferences"),
        })
        # Marked as emailed with the notice itself; the message leaves once the transaction
        # committed, so nobody is told of a decision that was rolled back.
        notification.emailed_at = ctx.clock()
        address = row.email

        def send() -> None:
            try:
                ctx.mailer.send(address, subject, body, html)
            except OSError as exc:
                log.error("notification email to member %s failed: %s", member_id, exc)

        after_commit(session, send)
    return notification


def set_preference(session: Session, member_id: int, value: str) -> None:
    try:
        pref = NotifyPref(value)
    except ValueError:
        raise ValidationFailed({"notify_pref": "Choisissez une des trois options."}) from None
    session.execute(update(Member).where(Member.id == member_id).values(notify_pref=pref))


def send_digests(ctx: Context, session: Session) -> int:
    """Email each "digest" member one summary of the notifications not yet emailed."""
    rows = session.execute(
        select(Notification, Member.email, Member.first_name)
        .join(Member, Member.id == Notification.member_id)
        .where(Member.notify_pref == NotifyPref.DIGEST, Notification.emailed_at.is_(None))
        .order_by(Notification.member_id, Notification.created_at)
    ).all()
    by_member: dict[int, list[tuple[Notification, str, str]]] = {}
    for notification, email, first in rows:
        by_member.setdefault(notification.member_id, []).append((notification, email, first))
    sent = 0
    for items in by_member.values():
        email, first = items[0][1], items[0][2]
        subject = f"Tribune : {len(items)} notification(s)"
        try:
            ctx.mailer.send_template(email, subject, "digest", {
                "subject": subject, "first_name": first,
                "items": [(n.text, ctx.url(n.link) if n.link else "") for n, _, _ in items],
                "preferences": ctx.url("/notifications/preferences"),
            })
        except OSError as exc:
            log.error("digest to %s failed: %s", email, exc)
            continue
        for notification, _, _ in items:
            notification.emailed_at = ctx.clock()
        sent += 1
    return sent


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
