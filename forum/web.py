"""Request plumbing shared by every view: who is asking, CSRF, cookies, rendering.

Every endpoint is wrapped by `page()`, so no view can forget the CSRF check:
an unsafe request without a valid token bound to the visitor's session (or
anonymous id) is refused with 403 before the view runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, Signer
from markupsafe import Markup
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from forum.cards import Fragments, HeaderReader
from forum.context import Context
from forum.models import Member
from forum.services import accounts

SESSION_COOKIE = "tribune_session"
ANON_COOKIE = "tribune_anon"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Endpoint = Callable[[Request], Awaitable[Response]]


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def member_of(request: Request) -> Member | None:
    return getattr(request.state, "member", None)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


def _anon_signer(ctx: Context) -> Signer:
    return Signer(ctx.settings.secret_key, salt="tribune.anonymous-visitor")


def _load_visitor(request: Request) -> None:
    """Set request.state.member / session_token / anon_id from the cookies."""
    ctx = ctx_of(request)
    request.state.member = None
    request.state.session_token = None
    request.state.anon_id = None
    request.state.new_anon_id = None
    request.state.set_session_token = None
    request.state.clear_session = False
    raw = request.cookies.get(SESSION_COOKIE)
    token = ctx.signers.unsign_session(raw) if raw else None
    request.state.unread = 0
    if token:
        shared = getattr(request.state, "snapshot", None)
        with nullcontext(shared) if shared is not None else ctx.db.connect() as connection:
            found = accounts.load_session(ctx, connection, token)
        stale = found is not None and ctx.clock() - found[0].last_seen_at > accounts.TOUCH_AFTER
        if found:
            request.state.member = found[1]
            request.state.unread = found[2]
            request.state.session_token = token
            if stale and shared is not None:
                # Not while this request holds a read (its snapshot): outside WAL, SQLite's
                # commit would wait on that very read. page() touches once the read is over.
                request.state.stale_session = found[0]
            elif stale:
                _touch_session(request, found[0])
        else:
            request.state.clear_session = True
    anon = request.cookies.get(ANON_COOKIE)
    if anon:
        try:
            request.state.anon_id = _anon_signer(ctx).unsign(anon).decode()
        except BadSignature:
            request.state.anon_id = None


def _touch_session(request: Request, live: accounts.LiveSession) -> None:
    ctx = ctx_of(request)
    with ctx.db.write() as session:
        accounts.touch_session(ctx, session, live)


def csrf_binding(request: Request) -> str:
    """What a CSRF token is bound to: the session, else an anonymous id (created on demand)."""
    if getattr(request.state, "session_token", None):
        return "s:" + request.state.session_token
    if getattr(request.state, "anon_id", None) is None:
        request.state.anon_id = secrets.token_urlsafe(24)
        request.state.new_anon_id = request.state.anon_id
    return "a:" + request.state.anon_id


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token, signed once per request however many forms the page holds."""
    cached = getattr(request.state, "csrf_token", None)
    binding = csrf_binding(request)
    if cached is None or cached[0] != binding:
        cached = (binding, ctx_of(request).signers.csrf_token(binding))
        request.state.csrf_token = cached
    return str(cached[1])


def site_header(request: Request) -> Markup:
    """The header of every page, rendered once per reader state (who, moderator or not, unread count)."""
    me = member_of(request)
    unread = getattr(request.state, "unread", 0)
    reader = HeaderReader(me.id, me.display_name, me.is_moderator) if me is not None else None
    fragments: Fragments = request.app.state.fragments
    return fragments.render(
        "_site_header.html", (reader, unread), {"me": reader, "unread": unread},
        {"csrf_token": lambda: csrf_token(request)},
    )


def _origin_ok(request: Request) -> bool:
    """Browsers send Origin (or at least Referer) on a form POST; it must be this site."""
    ctx = ctx_of(request)
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    if source == "null":
        return False
    parts = urlsplit(source)
    expected = {urlsplit(ctx.settings.base_url).netloc, request.headers.get("host", "")}
    return parts.netloc in expected


async def read_form(request: Request) -> FormData:
    """The request's form, parsed once (Starlette caches it on the request).

    NUL characters become U+FFFD: a browser sends them from a pasted text, and
    PostgreSQL cannot store them. The cleaned form replaces the cached one, so
    every later `request.form()` sees it.
    """
    form = await request.form(max_files=20, max_fields=800)
    if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        form = FormData([
            (key, value.replace("\x00", "\ufffd") if isinstance(value, str) else value)
            for key, value in form.multi_items()
        ])
        request._form = form  # Starlette's cache of the parsed form
    return form


def start_session(request: Request, token: str) -> None:
    request.state.set_session_token = token


def end_session(request: Request) -> None:
    request.state.clear_session = True


def _finish(request: Request, response: Response) -> Response:
    ctx = ctx_of(request)
    secure = ctx.settings.https
    if request.state.set_session_token:
        response.set_cookie(
            SESSION_COOKIE,
            ctx.signers.sign_session(request.state.set_session_token),
            max_age=ctx.settings.session_absolute_seconds,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    elif request.state.clear_session:
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure)
    if request.state.new_anon_id:
        response.set_cookie(
            ANON_COOKIE,
            _anon_signer(ctx).sign(request.state.new_anon_id).decode(),
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    if request.state.member is not None or request.state.set_session_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@contextmanager
def snapshot_of(request: Request) -> Iterator[Connection]:
    """The connection of the request's reads (`page(snapshot=True)`), or a snapshot of its own
    for the block when the request has none."""
    shared = getattr(request.state, "snapshot", None)
    if shared is not None:
        yield shared
        return
    with ctx_of(request).db.snapshot() as connection:
        yield connection


def page(view: Endpoint | None = None, *, public: bool = False, snapshot: bool = False) -> Any:
    """Wrap a view: load the visitor, check CSRF and Origin on unsafe methods, set cookies.

    Tribune is for members only: unless `public` (login, invitation, reset pages),
    an anonymous visitor is sent to the login page before the view runs.

    With `snapshot`, a member's GET reads their session and the page on one connection
    (`Database.snapshot`, held for the request; the view takes it with `snapshot_of`): one
    pool checkout instead of two on the hottest pages, and one consistent state on SQLite.
    The view must not write (its reads would not see its writes) and must not await while it
    holds the connection (another request would wait for a pooled connection on the event
    loop's thread); the session's idle deadline is moved after the read is over.
    """

    def decorate(view: Endpoint) -> Endpoint:
        @wraps(view)
        async def endpoint(request: Request) -> Response:
            if snapshot and request.method in SAFE_METHODS and SESSION_COOKIE in request.cookies:
                request.state.stale_session = None
                with ctx_of(request).db.snapshot() as connection:
                    request.state.snapshot = connection
                    try:
                        response = await handle(request)
                    finally:
                        request.state.snapshot = None
                if request.state.stale_session is not None:
                    _touch_session(request, request.state.stale_session)
                return response
            return await handle(request)

        async def handle(request: Request) -> Response:
            from forum.views.errors import error_page  # local: errors imports this module

            _load_visitor(request)
            if "\x00" in request.url.path or "\x00" in str(request.query_params):
                return _finish(request, error_page(request, 404))
            if request.method not in SAFE_METHODS:
                form = await read_form(request)
                token = form.get("csrf_token")
                if not _origin_ok(request) or not ctx_of(request).signers.csrf_valid(
                    token if isinstance(token, str) else None, csrf_binding(request)
                ):
                    response = error_page(
                        request, 403,
                        "Le formulaire a expiré ou ne vient pas de Tribune. Rechargez la page et réessayez.",
                    )
                    return _finish(request, response)
            if not public and request.state.member is None:
                target = request.url.path if request.method in SAFE_METHODS else "/"
                return _finish(request, redirect(f"/connexion?next={quote(target)}"))
            response = await view(request)
            return _finish(request, response)

        endpoint.public = public  # type: ignore[attr-defined]
        return endpoint

    if view is not None:
        return decorate(view)
    return decorate


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render a template of the app's environment (forum and moderation pages alike)."""
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def render_frame(request: Request, title: str, content: Markup, status: int = 200) -> Response:
    """A page from its title and its main column, in the site's frame (base.html, kept once
    rendered, with the reader's header filled in)."""
    page = request.app.state.fragments.render(
        "_frame.html", (), {}, {"title": title, "content": content, "site_header": lambda: site_header(request)},
    )
    return HTMLResponse(page, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: Any) -> str:
    """A local path to go back to after login; anything else becomes the home page."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def in_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking work (writes that may wait on a lock, password hashing) off the event loop."""
    return await run_in_threadpool(func, *args, **kwargs)
