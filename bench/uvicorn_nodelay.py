"""`uvicorn` with its command line unchanged, except for two things that make `--workers N` measurable.

1. TCP_NODELAY.

uvicorn 0.54's Config.bind_socket(), used when N > 1 (the supervisor binds, the workers
inherit), creates the socket with proto 0. Accepted sockets inherit proto 0 and asyncio only
sets TCP_NODELAY when proto is IPPROTO_TCP, so Nagle's algorithm stays on: every keep-alive
response longer than one segment waits for the client's delayed ACK, ~40 ms on Linux
(Kludex/uvicorn#3149, open; fix proposed in #3154). With one worker asyncio binds the socket
itself from getaddrinfo (proto 6) and is not affected.

2. One connection accepted per wake-up. asyncio accepts up to `backlog` (uvicorn: 2048) pending
connections each time the listening socket is readable. When a load generator opens its 32
keep-alive connections at once, the first worker to wake takes all of them and the others
stay idle for the whole run (measured: 500 CPU ticks against 1). Accepting one connection per
wake-up lets every worker's event loop, woken by the same readiness, take its share, as
connections arriving over time would be shared.

bench/run.py starts multi-worker servers through this file so that two workers are measured
for what the application can do (`--plain-uvicorn` measures plain uvicorn):

    python bench/uvicorn_nodelay.py --factory forum.app:create_app --workers 2 --port 8000
"""

from __future__ import annotations

import asyncio.selector_events
import socket
import sys
from typing import Any

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_socket_nodelay(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Rewrap the same descriptor: proto is then read back from the kernel (IPPROTO_TCP),
        # so asyncio sets TCP_NODELAY on every accepted connection, in every worker.
        sock = socket.socket(fileno=sock.detach())
    return sock


uvicorn.config.Config.bind_socket = _bind_socket_nodelay  # type: ignore[method-assign]

_accept_connection = asyncio.selector_events.BaseSelectorEventLoop._accept_connection


def _accept_one(self: Any, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None,
                backlog: int = 100, *args: Any, **kwargs: Any) -> None:
    _accept_connection(self, protocol_factory, sock, sslcontext, server, 1, *args, **kwargs)


# Module level on purpose: the workers (multiprocessing "spawn") import this file as __mp_main__.
asyncio.selector_events.BaseSelectorEventLoop._accept_connection = _accept_one  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "uvicorn"
    sys.exit(uvicorn.main.main())
