"""Requests straight through the ASGI app, without HTTP server: bench/profile_app.py and
bench/profile_post.py measure the application's own CPU per request with these."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any


def session_cookie(ctx: Any, email: str, agent: str) -> bytes:
    """A Cookie header value for a real session of a seeded member (the seed's password)."""
    from forum.services import accounts
    from forum.web import SESSION_COOKIE

    _, token = accounts.login(ctx, email, "seed-password-not-for-production", "127.0.0.1", agent)
    return f"{SESSION_COOKIE}={ctx.signers.sign_session(token)}".encode()


async def call(app: Any, method: str, path: str, cookie: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """One request as uvicorn would pass it (a form POST from the site's own origin): status and body."""
    raw_path, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie), (b"accept", b"*/*")]
    if method == "POST":
        headers += [(b"origin", b"http://127.0.0.1:8000"),
                    (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    status, chunks = 0, list[bytes]()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)
