"""Forum pages: home, category, topic, posting, editing, history, attachments, notifications."""

from __future__ import annotations

import difflib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from forum import queries
from forum.errors import Forbidden, NotAuthenticated, NotFound, RateLimited, ValidationFailed
from forum.models import Member
from forum.services import notifications, posting
from forum.views.post_form import PostForm, form_context, read_post_form
from forum.web import (
    csrf_token, ctx_of, in_thread, member_of, page, read_form, redirect, render, render_frame, snapshot_of,
)


def _require_member(request: Request) -> Member:
    member = member_of(request)
    if member is None:
        raise NotAuthenticated()
    return member


def _form_errors(exc: ValidationFailed | RateLimited) -> dict[str, str]:
    """Field errors for the form: a flood limit speaks beside the message body."""
    return exc.errors if isinstance(exc, ValidationFailed) else {"body": exc.message}


def _refused(response: Response, exc: Exception) -> Response:
    """A refused form: past a flood limit, the answer says when to retry (Retry-After)."""
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _int_param(request: Request, name: str, default: int = 1) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return max(value, 1)


def _page_of(number: int, per_page: int) -> int:
    return -(-number // per_page)


@page
async def home(request: Request) -> Response:
    viewer = _require_member(request)
    with ctx_of(request).db.read() as session:
        cats = queries.categories(session)
        latest = queries.latest_topics(session, 10, viewer.id)
    return render(request, "home.html", {"categories": cats, "latest": latest})


@page(snapshot=True)
async def category(request: Request) -> Response:
    ctx = ctx_of(request)
    viewer = _require_member(request)
    cursor = request.query_params.get("apres")
    with snapshot_of(request) as session:
        cat = queries.category_page(session, request.path_params["slug"])
        if cat is None:
            raise NotFound()
        topics, next_cursor = queries.topics_page(session, cat.id, cursor, ctx.settings.topics_per_page, viewer.id)
    return render(request, "category.html", {"category": cat, "topics": topics, "next_cursor": next_cursor, "cursor": cursor})


@page
async def new_topic(request: Request) -> Response:
    ctx = ctx_of(request)
    member = _require_member(request)
    slug = request.path_params["slug"]
    with ctx.db.read() as session:
        cat = queries.category_by_slug(session, slug)
    if cat is None:
        raise NotFound()
    if request.method == "GET":
        return render(request, "topic_new.html", {"category": cat, **form_context(PostForm())})
    form = await read_post_form(request, member)
    if form.action != "publish" or form.errors:
        return render(request, "topic_new.html", {"category": cat, **form_context(form)}, 422 if form.errors else 200)

    def write() -> int:
        with ctx.db.write() as session:
            return posting.create_topic(ctx, session, member, slug, form.title, form.body, form.quotes).id

    try:
        topic_id = await in_thread(write)
    except (ValidationFailed, RateLimited) as exc:
        form.errors = _form_errors(exc)
        return _refused(render(request, "topic_new.html", {"category": cat, **form_context(form)}, exc.status_code), exc)
    return redirect(f"/t/{topic_id}")


def _topic_page(request: Request, topic_id: int, page_number: int, form: PostForm, status: int = 200) -> Response:
    ctx = ctx_of(request)
    viewer = _require_member(request)
    per_page = ctx.settings.posts_per_page
    first = (page_number - 1) * per_page + 1
    if first + per_page - 1 > queries.MAX_ID:  # posts.number is an INTEGER
        raise NotFound()  # a page no topic can have, and a number the database cannot bind
    with snapshot_of(request) as session:
        found = queries.topic_page(session, topic_id, first, first + per_page - 1, viewer.id, ctx.post_probes)
        if found is None:
            raise NotFound()
        topic, cat, posts = found
        pages = max(1, _page_of(topic.post_count, per_page))
        if page_number > pages:
            raise NotFound()
        extras = {name: load(session, [p for p in posts if name not in ctx.post_probes or name in p.marks], viewer.id)
                  for name, load in ctx.post_extras.items()}
        official_reply = cat.designation_id is not None and queries.is_validated_candidate(session, viewer.id, cat.designation_id)
    kept, token = request.app.state.cards, csrf_token(request)
    when = request.app.state.templates.env.filters["when"]
    cards = kept.page(posts, extras, viewer.id, viewer.is_moderator, when, token)
    reply_fields = kept.reply_fields(form, form.errors, token)
    # The main column is the same for every reader of this page (their cards and token aside).
    key = (topic, cat, page_number, pages, bool(posts), official_reply, tuple(form.errors.items()))
    main = request.app.state.fragments.render(
        "_topic_main.html", key,
        {"topic": topic, "category": cat, "page": page_number, "pages": pages, "has_posts": bool(posts),
         "official_reply": official_reply, "errors": dict(form.errors)},
        {"cards": cards, "reply_fields": reply_fields, "csrf_token": token},
    )
    return render_frame(request, topic.title, main, status)


@page(snapshot=True)
async def topic(request: Request) -> Response:
    return _topic_page(request, request.path_params["topic_id"], _int_param(request, "page"), PostForm())


@page
async def reply(request: Request) -> Response:
    ctx = ctx_of(request)
    member = _require_member(request)
    topic_id = request.path_params["topic_id"]
    form = await read_post_form(request, member)

    def rerender(status: int) -> Response:
        with ctx.db.read() as session:
            found = queries.topic_with_category(session, topic_id, member.id)
        if found is None:
            raise NotFound()
        last_page = max(1, _page_of(found[0].post_count, ctx.settings.posts_per_page))
        return _topic_page(request, topic_id, last_page, form, status)

    if form.action != "publish" or form.errors:
        return rerender(422 if form.errors else 200)

    def write() -> tuple[int, int]:
        with ctx.db.write() as session:
            post = posting.reply(ctx, session, member, topic_id, form.body, form.quotes)
            return post.id, post.number

    try:
        post_id, number = await in_thread(write)
    except (ValidationFailed, RateLimited) as exc:
        form.errors = _form_errors(exc)
        return _refused(rerender(exc.status_code), exc)
    return redirect(f"/t/{topic_id}?page={_page_of(number, ctx.settings.posts_per_page)}#p{post_id}")


@page
async def edit_post(request: Request) -> Response:
    ctx = ctx_of(request)
    member = _require_member(request)
    post_id = request.path_params["post_id"]
    with ctx.db.read() as session:
        found = queries.post_for_viewer(session, post_id, member.id)
        if found is None:
            raise NotFound()
        post, topic_row = found
        current_quotes = posting.quotes_of(session, post_id)
    if post.author_id != member.id:
        # The service decides too; this only avoids showing a form that cannot be sent.
        raise Forbidden("Vous ne pouvez modifier que vos propres messages.")
    if request.method == "GET":
        form = PostForm(body=post.source, quotes=current_quotes,
                        quoted_refs=[str(q.quoted_post_id or "") for q in current_quotes])
        return render(request, "post_edit.html", {"post": post, "topic": topic_row, **form_context(form)})
    form = await read_post_form(request, member)
    if form.action != "publish" or form.errors:
        return render(request, "post_edit.html", {"post": post, "topic": topic_row, **form_context(form)},
                       422 if form.errors else 200)

    def write() -> int:
        with ctx.db.write() as session:
            return posting.edit_post(ctx, session, member, post_id, form.body, form.quotes).number

    try:
        number = await in_thread(write)
    except ValidationFailed as exc:
        form.errors = exc.errors
        return _refused(render(request, "post_edit.html", {"post": post, "topic": topic_row, **form_context(form)},
                               exc.status_code), exc)
    return redirect(f"/t/{topic_row.id}?page={_page_of(number, ctx.settings.posts_per_page)}#p{post_id}")


@page
async def post_history(request: Request) -> Response:
    ctx = ctx_of(request)
    viewer = _require_member(request)
    post_id = request.path_params["post_id"]
    with ctx.db.read() as session:
        found = queries.post_for_viewer(session, post_id, viewer.id)
        if found is None:
            raise NotFound()
        post, topic_row = found
        revs = queries.revisions(session, post_id, include_unpublished=post.author_id == viewer.id or viewer.is_moderator)
    return render(request, "post_history.html", {"post": post, "topic": topic_row, "revisions": revision_diffs(revs)})


def revision_diffs(revs: list[tuple[Any, str]]) -> list[dict[str, Any]]:
    """Versions, newest first, each with its line diff against the one before (the first shows whole)."""
    diffs = []
    previous = ""
    for rev, editor in revs:
        lines = list(difflib.ndiff(previous.splitlines(), rev.source.splitlines())) if previous else []
        diffs.append({"revision": rev, "editor": editor,
                      "diff": [(line[0], line[2:]) for line in lines if line[:1] in "+- "]})
        previous = rev.source
    return list(reversed(diffs))


@page
async def profile(request: Request) -> Response:
    ctx = ctx_of(request)
    with ctx.db.read() as session:
        found = queries.member_profile(session, request.path_params["member_id"])
        activity = queries.member_activity(session, request.path_params["member_id"], ctx.clock(), locale=ctx.settings.locale)
    if found is None:
        raise NotFound()
    member, federation, post_count = found
    return render(request, "profile.html", {"member": member, "federation": federation, "post_count": post_count,
                                            "activity": activity})


@page
async def attachment(request: Request) -> Response:
    """Serve a file as a download with a safe type, never rendered inline as HTML."""
    ctx = ctx_of(request)
    viewer = _require_member(request)
    with ctx.db.read() as session:
        row = queries.attachment_for_viewer(session, request.path_params["attachment_id"], viewer)
    if row is None:
        raise NotFound()
    safe_type = row.content_type if row.content_type in ("image/png", "image/jpeg", "application/pdf") else "application/octet-stream"
    return Response(
        row.data,
        media_type=safe_type,
        headers={
            "Content-Disposition": f'attachment; filename="{row.filename}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-SHA256": row.sha256,
            "Cache-Control": "private, no-store",
        },
    )


@page
async def notification_preferences(request: Request) -> Response:
    ctx = ctx_of(request)
    member = _require_member(request)
    if request.method == "POST":
        form = await read_form(request)
        value = str(form.get("notify_pref", ""))
        try:
            with ctx.db.write() as session:
                notifications.set_preference(session, member.id, value)
        except ValidationFailed as exc:
            return render(request, "notification_preferences.html", {"current": member.notify_pref.value, "errors": exc.errors, "saved": False}, 422)
        return render(request, "notification_preferences.html", {"current": value, "errors": {}, "saved": True})
    return render(request, "notification_preferences.html", {"current": member.notify_pref.value, "errors": {}, "saved": False})


@page
async def notifications_page(request: Request) -> Response:
    ctx = ctx_of(request)
    member = _require_member(request)
    with ctx.db.read() as session:
        items = notifications.latest(session, member.id)
    if request.method == "POST":
        with ctx.db.write() as session:
            notifications.mark_all_read(ctx, session, member.id)
        return redirect("/notifications")
    return render(request, "notifications.html", {"notifications": items})
