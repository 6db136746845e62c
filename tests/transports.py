"""Which HTTP transports the tests run on, and how they are built.

One pytest run covers both transports: a test that depends on the transport takes the
``transport_kind`` fixture (``tests/conftest.py``) and runs once per transport; every other
test runs once, on the default. ``GALATEA_TRANSPORT=httpx`` in the environment of the pytest
run narrows the transport-dependent tests to that one transport (for debugging one of them).
"""

from __future__ import annotations

import os

import httpx

from galatea_async._http._transport_choice import default_transport, httpx_transport

ALL_TRANSPORTS: tuple[str, ...] = ("aiohttp", "httpx")

TRANSPORTS: tuple[str, ...] = (
    (os.environ["GALATEA_TRANSPORT"],) if os.environ.get("GALATEA_TRANSPORT") else ALL_TRANSPORTS
)


def make_transport(kind: str, *, max_connections: int = 20) -> httpx.AsyncBaseTransport:
    """The aiohttp-backed default transport, or httpx's own (the fallback users may choose)."""
    if kind == "aiohttp":
        return default_transport(max_connections=max_connections)
    return httpx_transport(max_connections=max_connections)
