"""Right of reply: the member a quote points at answers beside it, on the card itself."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.context import Context
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.markup import render_markdown
from forum.models import Member, MemberStatus, Post, PostStatus, Quote, QuoteReply, Topic

REPLY_MAX = 5000


def quote_for_reply(session: Session, actor: Member | None, quote_id: int) -> tuple[Quote, Post, Topic, QuoteReply | None]:
    """The quote a member may reply to: it quotes them and its post is visible."""
    if actor is None:
        raise Forbidden()
    row = session.execute(
        select(Quote, Post, Topic).join(Post, Post.id == Quote.post_id).join(Topic, Topic.id == Post.topic_id)
        .where(Quote.id == quote_id)
    ).first()
    if row is None:
        raise NotFound()
    quote, post, topic = row
    if post.status != PostStatus.PUBLISHED or topic.status != PostStatus.PUBLISHED:
        raise NotFound()
    if quote.quoted_member_id != actor.id:
        raise Forbidden("Seule la personne citée peut répondre sur cette citation.")
    reply = session.scalar(select(QuoteReply).where(QuoteReply.quote_id == quote.id))
    return quote, post, topic, reply


def reply_to_quote(ctx: Context, session: Session, actor: Member | None, quote_id: int, text: str) -> QuoteReply:
    """Publish (or correct) one's reply; only moderation can hide it."""
    if actor is None or actor.status != MemberStatus.ACTIVE:
        raise Forbidden()
    quote, _post, _topic, reply = quote_for_reply(session, actor, quote_id)
    text = text.replace("\r\n", "\n").replace("\x00", "\ufffd").strip()
    if not text:
        raise ValidationFailed({"reply": "Votre réponse est vide."})
    if len(text) > REPLY_MAX:
        raise ValidationFailed({"reply": f"La réponse compte au plus {REPLY_MAX} caractères."})
    if reply is not None and reply.hidden:
        raise Forbidden("Votre réponse a été masquée par la modération ; vous pouvez faire appel de cette décision.")
    html = render_markdown(text)
    if reply is None:
        reply = QuoteReply(quote_id=quote.id, member_id=actor.id, source=text, html=html, quote_text=quote.text,
                           created_at=ctx.clock())
        session.add(reply)
    else:
        reply.source, reply.html, reply.quote_text, reply.edited_at = text, html, quote.text, ctx.clock()
    session.flush()
    return reply
