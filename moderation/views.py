"""Moderator pages: the hold queue and one item with its decision form."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from forum import queries
from forum.errors import ValidationFailed
from forum.web import ctx_of, in_thread, member_of, page, read_form, redirect
from moderation import services


def _render(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    try:
        micros, item_id = value.split("_", 1)
        return dt.datetime.fromtimestamp(int(micros) / 1_000_000, dt.timezone.utc), int(item_id)
    except (ValueError, OverflowError, OSError):
        return None


@page
async def queue(request: Request) -> Response:
    ctx = ctx_of(request)
    after = request.query_params.get("apres")
    with ctx.db.read() as session:
        rows, next_after = services.queue(session, member_of(request), _cursor(after))
    next_cursor = f"{int(next_after[0].timestamp() * 1_000_000)}_{next_after[1]}" if next_after else None
    return _render(request, "moderation/queue.html", {"rows": rows, "next_cursor": next_cursor, "after": after})


def _item_context(request: Request, item_id: int) -> dict[str, object]:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        view = services.item_view(session, member_of(request), item_id)
        cards = queries.quotes_for_posts(session, [view.post.id]).get(view.post.id, [])
    return {"view": view, "quotes": cards, "reasons": services.REASONS, "errors": {}, "chosen": {}}


@page
async def item(request: Request) -> Response:
    return _render(request, "moderation/item.html", _item_context(request, request.path_params["item_id"]))


@page
async def decide(request: Request) -> Response:
    ctx = ctx_of(request)
    moderator = member_of(request)
    item_id = request.path_params["item_id"]
    form = await read_form(request)
    chosen = {k: str(form.get(k, "")) for k in ("action", "reason_code", "reason_text")}

    def write() -> None:
        with ctx.db.write() as session:
            services.decide(ctx, session, moderator, item_id, chosen["action"], chosen["reason_code"], chosen["reason_text"])

    try:
        await in_thread(write)
    except ValidationFailed as exc:
        context = _item_context(request, item_id)
        context.update(errors=exc.errors, chosen=chosen)
        return _render(request, "moderation/item.html", context, 422)
    return redirect("/moderation?fait=1")
