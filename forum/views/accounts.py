"""Login, logout, invitation, password reset and change."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum import security
from forum.errors import DomainError, ValidationFailed
from forum.models import Member
from forum.services import accounts
from forum.web import (
    client_ip,
    ctx_of,
    end_session,
    in_thread,
    member_of,
    page,
    read_form,
    redirect,
    render,
    safe_next,
    start_session,
)


@page(public=True)
async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    next_url = safe_next(request.query_params.get("next"))
    if member_of(request) is not None and request.method == "GET":
        return redirect(next_url)
    email = ""
    if request.method == "POST":
        form = await read_form(request)
        email = str(form.get("email", ""))
        password = str(form.get("password", ""))
        next_url = safe_next(form.get("next"))
        try:
            _member, token = await in_thread(
                accounts.login, ctx, email, password, client_ip(request), request.headers.get("user-agent")
            )
        except DomainError as exc:
            errors = exc.errors if isinstance(exc, ValidationFailed) else {"form": exc.message}
            response = render(request, "login.html", {"email": email, "next": next_url, "errors": errors}, exc.status_code)
            if exc.status_code == 429:
                response.headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
            return response
        if request.state.session_token:
            # A new id at every login: the old session, if any, dies.
            old = request.state.session_token
            with ctx.db.write() as session:
                accounts.revoke_session(ctx, session, old)
        start_session(request, token)
        return redirect(next_url)
    return render(request, "login.html", {"email": email, "next": next_url, "errors": {}})


@page
async def logout(request: Request) -> Response:
    ctx = ctx_of(request)
    token = request.state.session_token
    with ctx.db.write() as session:
        accounts.revoke_session(ctx, session, token)
    end_session(request)
    request.state.member = None
    return redirect("/connexion")


async def _set_password_page(request: Request, purpose: security.TokenPurpose, template: str) -> Response:
    ctx = ctx_of(request)
    token = request.path_params["token"]
    with ctx.db.read() as session:
        member = accounts.member_for_token(ctx, session, purpose, token)  # NotFound -> French 404
        first_name = member.first_name
    if request.method == "POST":
        form = await read_form(request)

        def write() -> str:
            with ctx.db.write() as session:
                member = accounts.set_password_with_token(
                    ctx, session, purpose, token, str(form.get("password", "")), str(form.get("confirm", ""))
                )
                return accounts.open_session(ctx, session, member, client_ip(request), request.headers.get("user-agent"))

        try:
            session_token = await in_thread(write)
        except ValidationFailed as exc:
            return render(request, template, {"first_name": first_name, "errors": exc.errors}, 422)
        start_session(request, session_token)
        return redirect("/")
    return render(request, template, {"first_name": first_name, "errors": {}})


@page(public=True)
async def invitation(request: Request) -> Response:
    return await _set_password_page(request, security.INVITE, "invitation.html")


@page(public=True)
async def reset_password(request: Request) -> Response:
    return await _set_password_page(request, security.RESET, "password_reset.html")


@page(public=True)
async def forgot_password(request: Request) -> Response:
    ctx = ctx_of(request)
    if request.method == "POST":
        form = await read_form(request)
        email = str(form.get("email", ""))

        def write() -> None:
            with ctx.db.write() as session:
                accounts.request_password_reset(ctx, session, email, client_ip(request))

        try:
            await in_thread(write)
        except DomainError as exc:
            return render(request, "password_forgot.html", {"email": email, "errors": {"form": exc.message}, "sent": False}, exc.status_code)
        return render(request, "password_forgot.html", {"email": email, "errors": {}, "sent": True})
    return render(request, "password_forgot.html", {"email": "", "errors": {}, "sent": False})


@page
async def change_password(request: Request) -> Response:
    ctx = ctx_of(request)
    member = member_of(request)
    assert member is not None
    if request.method == "POST":
        form = await read_form(request)

        def write() -> str:
            with ctx.db.write() as session:
                current = session.get(Member, member.id)
                assert current is not None
                accounts.change_password(
                    ctx, session, current, str(form.get("current", "")), str(form.get("new", "")), str(form.get("confirm", ""))
                )
                return accounts.open_session(ctx, session, current, client_ip(request), request.headers.get("user-agent"))

        try:
            session_token = await in_thread(write)
        except ValidationFailed as exc:
            return render(request, "password_change.html", {"errors": exc.errors, "done": False}, 422)
        start_session(request, session_token)
        return render(request, "password_change.html", {"errors": {}, "done": True})
    return render(request, "password_change.html", {"errors": {}, "done": False})
