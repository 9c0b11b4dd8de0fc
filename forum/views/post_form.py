"""The post form with its repeatable quote fieldsets. Works without JavaScript:
"ajouter une citation" and "retirer" re-render the form with the whole draft kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from forum.errors import ValidationFailed
from forum.events import QuoteInput
from forum.models import Member, QuoteKind
from forum.services import attachments
from forum.web import ctx_of, in_thread, read_form

KIND_LABELS = {
    QuoteKind.TWEET.value: "Tweet / post X",
    QuoteKind.SOCIAL.value: "Autre réseau social",
    QuoteKind.EMAIL.value: "Courriel",
    QuoteKind.SMS.value: "SMS ou messagerie",
    QuoteKind.ARTICLE.value: "Article de presse",
    QuoteKind.VIDEO.value: "Vidéo",
    QuoteKind.INTERNAL.value: "Message de ce forum",
    QuoteKind.DOCUMENT.value: "Document",
}
MAX_FIELDSETS = 20
_POST_REF = re.compile(r"(?:#p|/p/|^)(\d+)(?:\D*$|/)")


@dataclass
class PostForm:
    title: str = ""
    body: str = ""
    quotes: list[QuoteInput] = field(default_factory=list)
    quoted_refs: list[str] = field(default_factory=list)
    action: str = "publish"
    errors: dict[str, str] = field(default_factory=dict)


def parse_post_ref(value: str) -> int | None:
    """A forum post from what a member pastes: "17", "#p17", ".../t/3#p17", ".../p/17/historique"."""
    value = value.strip()
    if not value:
        return None
    found = _POST_REF.search(value)
    return int(found.group(1)) if found else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def read_post_form(request: Request, member: Member) -> PostForm:
    """Parse title, body and quotes; store any newly uploaded file at once so the draft keeps it."""
    form = await read_form(request)
    result = PostForm(title=_text(form, "title"), body=_text(form, "body"), action=_text(form, "action") or "publish")
    try:
        count = min(int(_text(form, "quote_count") or 0), MAX_FIELDSETS)
    except ValueError:
        count = 0
    ctx = ctx_of(request)
    for index in range(count):
        prefix = f"q-{index}-"
        quote = QuoteInput(
            kind=_text(form, prefix + "kind"), author=_text(form, prefix + "author"),
            handle=_text(form, prefix + "handle"), said_at=_text(form, prefix + "said_at"),
            source_url=_text(form, prefix + "source_url"), archive_url=_text(form, prefix + "archive_url"),
            context=_text(form, prefix + "context"), text=_text(form, prefix + "text"),
        )
        quote.quoted_member_ref = _text(form, prefix + "quoted_member")
        ref = _text(form, prefix + "quoted_post")
        quote.quoted_post_id = parse_post_ref(ref)
        try:
            quote.attachment_id = int(_text(form, prefix + "attachment_id")) if _text(form, prefix + "attachment_id") else None
        except ValueError:
            quote.attachment_id = None
        upload = form.get(prefix + "file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()

            def store(name: str = upload.filename or "piece", data: bytes = data) -> tuple[int, str, str]:
                with ctx.db.write() as session:
                    row = attachments.store_upload(session, member, name, data)
                    return row.id, row.filename, row.sha256

            try:
                quote.attachment_id, quote.attachment_name, quote.attachment_sha256 = await in_thread(store)
            except ValidationFailed as exc:
                result.errors[prefix + "attachment"] = exc.errors.get("attachment", exc.message)
        result.quotes.append(quote)
        result.quoted_refs.append(ref)
    if result.action == "add_quote" and len(result.quotes) < MAX_FIELDSETS:
        result.quotes.append(QuoteInput(kind=""))
        result.quoted_refs.append("")
    elif result.action.startswith("remove_quote-"):
        try:
            index = int(result.action.split("-", 1)[1])
        except ValueError:
            index = -1
        if 0 <= index < len(result.quotes):
            del result.quotes[index]
            del result.quoted_refs[index]
            # Errors were keyed by position: drop them rather than show them on the wrong quote.
            result.errors = {k: v for k, v in result.errors.items() if not k.startswith("q-")}
    return result


def form_context(form: PostForm) -> dict[str, object]:
    return {"draft": form, "errors": form.errors, "kind_labels": KIND_LABELS, "empty_quote": QuoteInput(kind="")}
