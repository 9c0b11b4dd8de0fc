"""How moderation plugs into the forum: the draft checker and the event handlers.

Called by forum/app.py (and the admin command line through it), never by forum's own modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.context import Context
from forum.events import POST_SAVED, DraftInput
from forum.models import Attachment as AttachmentRow
from forum.models import Member, Post, PostRevision
from forum.services import designations
from moderation import notes, services
from moderation.provenance import Attachment, Draft, Finding, Quote, check_draft

DnsSource = Mapping[str, str] | Callable[..., bytes | None]


def make_checker(ctx: Context, dns: DnsSource | None = None) -> Callable[[Session, DraftInput], Sequence[Finding]]:
    """The forum's draft checker: loads what the pure checker needs (files, quoted revisions) and runs it."""

    def checker(session: Session, draft: DraftInput) -> Sequence[Finding]:
        quotes = []
        for quote in draft.quotes:
            attachment = None
            if quote.attachment_id is not None:
                row = session.get(AttachmentRow, quote.attachment_id)
                if row is not None:
                    attachment = Attachment(filename=row.filename, data=row.data, content_type=row.content_type)
            quoted_text = None
            if quote.kind == "internal" and quote.quoted_post_id:
                # The current revision first, then older ones: a quote of an edited post still checks.
                quoted_text = list(session.scalars(
                    select(PostRevision.source).where(PostRevision.post_id == quote.quoted_post_id)
                    .order_by(PostRevision.number.desc())
                ))
            quotes.append(Quote(
                kind=quote.kind, text=quote.text, context=quote.context, author=quote.author, handle=quote.handle,
                said_at=quote.said_at or None, source_url=quote.source_url, archive_url=quote.archive_url,
                attachment=attachment, quoted_post=quote.quoted_post_id, quoted_text=quoted_text,
            ))
        category = "debate" if draft.policy == "debate" else "general"
        return check_draft(Draft(body=draft.body, category=category, quotes=quotes), dns=dns, now=ctx.clock())

    return checker


def dns_from_settings(value: str) -> DnsSource | None:
    """TRIBUNE_DKIM_DNS: "off" (no look-up), "live" (the resolver), or a JSON file {name: TXT}."""
    if value in ("", "off"):
        return None
    if value == "live":
        import dkim.dnsplug

        return dkim.dnsplug.get_txt
    with open(value, encoding="utf-8") as handle:
        mapping = json.load(handle)
    if not isinstance(mapping, dict):
        raise ValueError("TRIBUNE_DKIM_DNS : le fichier doit contenir un objet JSON {nom: valeur TXT}.")
    return {str(k): str(v) for k, v in mapping.items()}


def install(ctx: Context, dns: DnsSource | None = None) -> None:
    """Install the provenance checker and subscribe moderation's handlers on this context."""
    if dns is None:
        dns = dns_from_settings(ctx.settings.dkim_dns)
    ctx.checker = make_checker(ctx, dns)
    ctx.events.subscribe(POST_SAVED, services.on_post_saved)
    ctx.post_extras["notes"] = lambda session, posts, viewer_id: notes.notes_for_posts(
        session, [p.id for p in posts], viewer_id)
    ctx.post_probes["notes"] = notes.NOTE_PROBE
    notes.install_camp_lookup(designations.camps_of)
    if _designation_recusal not in services.RECUSAL_HOOKS:
        services.RECUSAL_HOOKS.append(_designation_recusal)


def _designation_recusal(session: Session, actor: Member, post: Post) -> str | None:
    """A candidate, or a supporter of a candidate, does not moderate that designation's debate."""
    return designations.involvement(session, actor.id, post.topic_id)
