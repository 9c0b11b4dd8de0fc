"""Moderation pages: reports, the queue, one case, appeals, context notes, transparency."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from forum import queries
from forum.errors import NotFound, RateLimited, ValidationFailed
from sqlalchemy import select

from forum.models import Federation, Post, Quote
from forum.web import ctx_of, in_thread, member_of, page, read_form, redirect, render
from moderation import notes, services, transparency


def _cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    try:
        micros, item_id = value.split("_", 1)
        return dt.datetime.fromtimestamp(int(micros) / 1_000_000, dt.timezone.utc), int(item_id)
    except (ValueError, OverflowError, OSError):
        return None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- reports (members) ---------------------------------------------------------------------


@page
async def report(request: Request) -> Response:
    ctx = ctx_of(request)
    member = member_of(request)
    post_id = request.path_params["post_id"]
    with ctx.db.read() as session:
        found = queries.post_for_viewer(session, post_id, member.id if member else None)
    if found is None:
        raise NotFound()
    post, topic = found
    context: dict[str, object] = {"post": post, "topic": topic, "reasons": services.REPORT_REASONS,
                                  "errors": {}, "chosen": {}, "done": False}
    if request.method == "POST":
        form = await read_form(request)
        chosen = {k: str(form.get(k, "")) for k in ("reason_code", "text")}

        def write() -> None:
            with ctx.db.write() as session:
                services.report_post(ctx, session, member, post_id, chosen["reason_code"], chosen["text"])

        try:
            await in_thread(write)
        except ValidationFailed as exc:
            context.update(errors=exc.errors, chosen=chosen)
            return render(request, "moderation/report.html", context, 422)
        context.update(done=True)
    return render(request, "moderation/report.html", context)


# --- the queue and one case ------------------------------------------------------------------


@page
async def queue(request: Request) -> Response:
    ctx = ctx_of(request)
    params = request.query_params
    filters = services.QueueFilters(
        reason=params.get("raison", ""), category_id=_int_or_none(params.get("categorie")),
        federation_id=_int_or_none(params.get("federation")), status=params.get("etat", "open"),
        older_than_hours=_int_or_none(params.get("age")),
    )
    after = params.get("apres")
    with ctx.db.read() as session:
        rows, next_after = services.queue(ctx, session, member_of(request), _cursor(after), filters)
        categories = queries.categories(session)
        federations = list(session.query(Federation).order_by(Federation.name))
    next_cursor = f"{int(next_after[0].timestamp() * 1_000_000)}_{next_after[1]}" if next_after else None
    keep = {k: v for k, v in params.items() if k != "apres" and k != "fait" and v}
    return render(request, "moderation/queue.html", {
        "rows": rows, "next_cursor": next_cursor, "after": after, "filters": filters, "keep": keep,
        "categories": categories, "federations": federations, "report_reasons": services.REPORT_REASONS,
    })


def _item_context(request: Request, item_id: int) -> dict[str, object]:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        view = services.item_view(ctx, session, member_of(request), item_id)
        cards = queries.quotes_for_posts(session, [view.post.id]).get(view.post.id, [])
        item_notes = notes.notes_for_posts(session, [view.post.id], view.author.id).get(view.post.id, [])
    return {"view": view, "quotes": cards, "reasons": services.REASONS, "errors": {}, "chosen": {},
            "action_labels": services.ACTION_LABELS, "notes": item_notes, "report_reasons": services.REPORT_REASONS}


@page
async def item(request: Request) -> Response:
    return render(request, "moderation/item.html", _item_context(request, request.path_params["item_id"]))


@page
async def claim(request: Request) -> Response:
    ctx = ctx_of(request)
    item_id = request.path_params["item_id"]
    with ctx.db.write() as session:
        services.claim(ctx, session, member_of(request), item_id)
    return redirect(f"/moderation/elements/{item_id}")


@page
async def decide(request: Request) -> Response:
    ctx = ctx_of(request)
    moderator = member_of(request)
    item_id = request.path_params["item_id"]
    form = await read_form(request)
    chosen = {k: str(form.get(k, "")) for k in ("action", "reason_code", "reason_text", "suspend_days")}

    def write() -> None:
        with ctx.db.write() as session:
            services.decide(ctx, session, moderator, item_id, chosen["action"], chosen["reason_code"],
                            chosen["reason_text"], chosen["suspend_days"])

    try:
        await in_thread(write)
    except ValidationFailed as exc:
        context = _item_context(request, item_id)
        context.update(errors=exc.errors, chosen=chosen)
        return render(request, "moderation/item.html", context, 422)
    return redirect("/moderation?fait=1")


# --- appeals ---------------------------------------------------------------------------------


@page
async def appeal(request: Request) -> Response:
    ctx = ctx_of(request)
    member = member_of(request)
    decision_id = request.path_params["decision_id"]
    with ctx.db.read() as session:
        view = services.appeal_context(ctx, session, member, decision_id)
    context: dict[str, object] = {"view": view, "reasons": services.REASONS, "verdicts": services.VERDICTS,
                                  "errors": {}, "text": "", "done": False}
    if request.method == "POST":
        form = await read_form(request)
        text = str(form.get("text", ""))

        def write() -> None:
            with ctx.db.write() as session:
                services.file_appeal(ctx, session, member, decision_id, text)

        try:
            await in_thread(write)
        except ValidationFailed as exc:
            context.update(errors=exc.errors, text=text)
            return render(request, "moderation/appeal.html", context, 422)
        return redirect(f"/decisions/{decision_id}/appel?envoye=1")
    return render(request, "moderation/appeal.html", context)


def _appeals_context(rows: list[services.AppealRow], **overrides: object) -> dict[str, object]:
    context: dict[str, object] = {"rows": rows, "reasons": services.REASONS, "action_labels": services.ACTION_LABELS,
                                  "errors": {}, "chosen": {}}
    context.update(overrides)
    return context


@page
async def appeals(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        rows = services.open_appeals(session, member_of(request))
    return render(request, "moderation/appeals.html", _appeals_context(rows))


@page
async def decide_appeal(request: Request) -> Response:
    ctx = ctx_of(request)
    moderator = member_of(request)
    appeal_id = request.path_params["appeal_id"]
    form = await read_form(request)
    chosen = {"outcome": str(form.get("outcome", "")), "reason_text": str(form.get("reason_text", ""))}

    def write() -> None:
        with ctx.db.write() as session:
            services.decide_appeal(ctx, session, moderator, appeal_id, chosen["outcome"], chosen["reason_text"])

    try:
        await in_thread(write)
    except ValidationFailed as exc:
        with ctx.db.read() as session:
            rows = services.open_appeals(session, moderator)
        context = _appeals_context(rows, errors=exc.errors, failed=appeal_id, chosen=chosen)
        return render(request, "moderation/appeals.html", context, 422)
    return redirect("/moderation/appels?fait=1")


# --- context notes -----------------------------------------------------------------------------


@page
async def add_note(request: Request) -> Response:
    ctx = ctx_of(request)
    member = member_of(request)
    post_id = request.path_params["post_id"]
    form = await read_form(request)
    as_moderator = form.get("as_moderator") == "1"

    def write() -> int:
        with ctx.db.write() as session:
            note = notes.add_note(ctx, session, member, post_id, str(form.get("note", "")), as_moderator)
            post = session.get(Post, note.post_id)
            assert post is not None
            return post.topic_id

    try:
        topic_id = await in_thread(write)
    except RateLimited as exc:
        from forum.views.errors import error_page

        # The inline note form cannot be shown again here: give the draft back in the page.
        draft = str(form.get("note", "")).strip()
        kept = f" Votre note n’a pas été enregistrée ; la voici pour la reprendre : « {draft} »" if draft else ""
        response = error_page(request, 429, exc.message + kept)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ValidationFailed as exc:
        from forum.views.errors import error_page

        return error_page(request, 422, " ".join(exc.errors.values()))
    return redirect(f"/t/{topic_id}#p{post_id}")


@page
async def rate_note(request: Request) -> Response:
    ctx = ctx_of(request)
    member = member_of(request)
    note_id = request.path_params["note_id"]
    form = await read_form(request)
    helpful = form.get("helpful") == "1"

    def write() -> tuple[int, int]:
        with ctx.db.write() as session:
            note = notes.rate_note(ctx, session, member, note_id, helpful)
            post = session.get(Post, note.post_id)
            assert post is not None
            return post.topic_id, post.id

    try:
        topic_id, post_id = await in_thread(write)
    except ValidationFailed as exc:
        from forum.views.errors import error_page

        return error_page(request, 422, " ".join(exc.errors.values()))
    return redirect(f"/t/{topic_id}#p{post_id}")


# --- transparency --------------------------------------------------------------------------------


@page
async def transparency_page(request: Request) -> Response:
    ctx = ctx_of(request)
    before = _int_or_none(request.query_params.get("avant"))
    with ctx.db.read() as session:
        data = transparency.transparency(session, before, locale=ctx.settings.locale)
    return render(request, "moderation/transparency.html", {"data": data, "before": before})



@page
async def hide_quote_reply(request: Request) -> Response:
    ctx = ctx_of(request)
    reply_id = request.path_params["reply_id"]
    form = await read_form(request)

    def write() -> int:
        with ctx.db.write() as session:
            reply = services.hide_quote_reply(ctx, session, member_of(request), reply_id,
                                              str(form.get("reason_code", "")), str(form.get("reason_text", "")))
            post = session.scalar(select(Post).join(Quote, Quote.post_id == Post.id).where(Quote.id == reply.quote_id))
            assert post is not None
            return post.topic_id

    try:
        topic_id = await in_thread(write)
    except ValidationFailed as exc:
        from forum.views.errors import error_page

        return error_page(request, 422, " ".join(exc.errors.values()))
    return redirect(f"/t/{topic_id}")
