"""The ceiling: a bare Starlette endpoint serving a static HTML page, no middleware, no database.

bench/run.py saves the body of the measured topic page to a file and starts this
app with the same uvicorn settings as Tribune (one worker, same loop and HTTP
implementation), so the only difference left is the application's own work:

    BENCH_BARE_FILE=bench/.work/bare_page.html \
        uvicorn --factory --app-dir bench bare_app:create_app --host 127.0.0.1 --port 8001

Any path answers with the same bytes (200, text/html; charset=utf-8).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_app() -> Starlette:
    source = os.environ.get("BENCH_BARE_FILE")
    if source:
        body = Path(source).read_bytes()
    else:
        # Standalone use: a page of BENCH_BARE_BYTES bytes (default 40 000).
        size = int(os.environ.get("BENCH_BARE_BYTES", "40000"))
        head, tail = b"<!doctype html><html><body><p>", b"</p></body></html>"
        body = head + b"x" * max(0, size - len(head) - len(tail)) + tail

    async def page(request: Request) -> Response:
        return Response(body, media_type="text/html")

    return Starlette(routes=[Route("/{path:path}", page, methods=["GET"])])
