"""Co-signed statements: signatures are pinned to a revision of the statement."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from forum import journal
from forum.context import Context
from forum.db import core, pairs
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.models import Cosignature, Federation, Member, MemberStatus, Post, PostKind, PostStatus, Topic
from forum.services import posting
from forum.services.notifications import notify

MAX_COSIGNERS = 200


def _members_by_email(session: Session, emails: list[str]) -> tuple[list[Member], list[str]]:
    found = {m.email: m for m in session.scalars(select(Member).where(Member.email.in_(emails)))}
    return [found[e] for e in emails if e in found], [e for e in emails if e not in found]


def _parse_emails(raw: str) -> list[str]:
    emails = []
    for part in raw.replace(";", ",").replace("\n", ",").split(","):
        email = part.strip().lower()
        if email and email not in emails:
            emails.append(email)
    return emails


def create_statement(ctx: Context, session: Session, actor: Member | None, category_slug: str, title: str,
                     body: str, invitees: str) -> Topic:
    """A member drafts a statement and invites co-signatories by email."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    emails = [e for e in _parse_emails(invitees) if e != actor.email]
    if len(emails) > MAX_COSIGNERS:
        raise ValidationFailed({"invitees": f"{MAX_COSIGNERS} cosignataires au plus."})
    members, unknown = _members_by_email(session, emails)
    if unknown:
        raise ValidationFailed({"invitees": "Adresses inconnues : " + ", ".join(unknown)})
    topic = posting.create_topic(ctx, session, actor, category_slug, title, body, kind=PostKind.STATEMENT)
    post = session.scalar(select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    assert post is not None
    for member in members:
        session.add(Cosignature(post_id=post.id, member_id=member.id, invited_at=ctx.clock()))
    session.flush()
    if post.status == PostStatus.PUBLISHED:
        notify_invitees(ctx, session, post)
    # A held statement invites nobody yet: its title must not travel before moderation.
    return topic


def notify_invitees(ctx: Context, session: Session, post: Post) -> None:
    """Invite the co-signatories of a statement that others can now see (once each)."""
    from forum.models import Notification

    topic = session.get(Topic, post.topic_id)
    author = session.get(Member, post.author_id)
    assert topic is not None and author is not None
    link = f"/t/{topic.id}#p{post.id}"
    for member_id in session.scalars(select(Cosignature.member_id).where(Cosignature.post_id == post.id)):
        if session.scalar(select(Notification.id).where(Notification.member_id == member_id,
                                                        Notification.link == link)) is None:
            notify(ctx, session, member_id, f"{author.display_name} vous invite à cosigner « {topic.title} ».",
                   link=link, email_subject="Tribune : invitation à cosigner une déclaration")


def _statement(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.kind != PostKind.STATEMENT or post.status != PostStatus.PUBLISHED:
        raise NotFound()
    return post


def sign(ctx: Context, session: Session, actor: Member | None, post_id: int, revision: int | None = None) -> Cosignature:
    """An invited member signs the version they were shown (`revision`); if the statement changed
    in between, they are asked to read it again rather than signing a text they never saw."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    post = _statement(session, post_id)
    signature = session.scalar(select(Cosignature).where(Cosignature.post_id == post.id, Cosignature.member_id == actor.id))
    if signature is None:
        raise Forbidden("Vous n’êtes pas invité·e à cosigner cette déclaration.")
    if revision is not None and revision != post.revision_count:
        raise ValidationFailed({"sign": "La déclaration a été modifiée pendant votre lecture : relisez-la puis signez."})
    if signature.signed_revision == post.revision_count and signature.withdrawn_at is None:
        raise ValidationFailed({"sign": "Vous avez déjà signé cette version."})
    signature.signed_revision = post.revision_count
    signature.signed_at = ctx.clock()
    signature.withdrawn_at = None
    return signature


def withdraw(ctx: Context, session: Session, actor: Member | None, post_id: int) -> Cosignature:
    """A signatory withdraws their signature: shown on the statement and journalled."""
    if actor is None:
        raise Forbidden()
    post = _statement(session, post_id)
    signature = session.scalar(select(Cosignature).where(Cosignature.post_id == post.id, Cosignature.member_id == actor.id))
    if signature is None or signature.signed_at is None or signature.withdrawn_at is not None:
        raise ValidationFailed({"sign": "Vous n’avez pas de signature à retirer."})
    signature.withdrawn_at = ctx.clock()
    journal.append(session, "signature_withdrawn", {"post_id": post.id}, {"member_id": actor.id}, now=ctx.clock())
    return signature


def after_statement_edit(ctx: Context, session: Session, post: Post) -> None:
    """An edit after signatures asks every signatory to sign the new version."""
    for signature in session.scalars(select(Cosignature).where(Cosignature.post_id == post.id,
                                                               Cosignature.signed_at.is_not(None),
                                                               Cosignature.withdrawn_at.is_(None))):
        notify(ctx, session, signature.member_id, "Une déclaration que vous avez signée a été modifiée : signez la nouvelle version.",
               link=f"/t/{post.topic_id}#p{post.id}", email_subject="Tribune : déclaration modifiée, signature à renouveler")


class Signatory(NamedTuple):
    member_id: int
    name: str
    federation: str | None
    state: str  # signed | resign | invited | withdrawn


def signatories(session: Session | Connection, post_ids: list[int], viewer_id: int) -> dict[int, list[Signatory]]:
    """Each statement's signatories with their federations and where their signature stands."""
    if not post_ids:
        return {}
    db = core(session)
    revisions = pairs(db.execute(select(Post.id, Post.revision_count).where(Post.id.in_(post_ids))))
    result: dict[int, list[Signatory]] = {}
    for sig in db.execute(
        select(Cosignature.post_id, Cosignature.member_id, Cosignature.withdrawn_at, Cosignature.signed_revision,
               Member.first_name, Member.last_name, Federation.name.label("fed"))
        .join(Member, Member.id == Cosignature.member_id).outerjoin(Federation, Federation.id == Member.federation_id)
        .where(Cosignature.post_id.in_(post_ids)).order_by(Member.last_name, Member.first_name)
    ):
        if sig.withdrawn_at is not None:
            state = "withdrawn"
        elif sig.signed_revision is None:
            state = "invited"
        elif sig.signed_revision == revisions[sig.post_id]:
            state = "signed"
        else:
            state = "resign"
        result.setdefault(sig.post_id, []).append(
            Signatory(sig.member_id, f"{sig.first_name} {sig.last_name}", sig.fed, state))
    return result
