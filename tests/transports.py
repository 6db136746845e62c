"""Which HTTP transports the tests run on, and how they are built."""

from __future__ import annotations

import os

import httpx

from galatea_async._transport import default_transport, httpx_transport

# Both transports by default; with GALATEA_TRANSPORT set (the README's second test pass, which
# runs the whole suite on httpx's own transport) only that one.
TRANSPORTS: tuple[str, ...] = (
    (os.environ["GALATEA_TRANSPORT"],)
    if os.environ.get("GALATEA_TRANSPORT")
    else ("aiohttp", "httpx")
)


def make_transport(kind: str, *, max_connections: int = 20) -> httpx.AsyncBaseTransport:
    """The aiohttp-backed default transport, or httpx's own (the fallback users may choose)."""
    if kind == "aiohttp":
        return default_transport(max_connections=max_connections)
    return httpx_transport(max_connections=max_connections)
