"""Closing the connection pool of a client that was garbage-collected while open.

A client dropped without ``aclose()`` would leave its sockets to the garbage collector, and
aiohttp and asyncio would each print their internals about it. The client warns once in its
own words (``AsyncGalatea.__del__``) and hands its pool here: closed by a task on the running
asyncio loop when there is one (the task keeps the pool alive until it is closed), else, for
the aiohttp transport, at once without waiting for the sockets to finish closing.
"""

from __future__ import annotations

import asyncio

import httpx

from galatea_async._http._transport import AiohttpTransport

__all__ = ["close_abandoned"]

# Closing tasks still running: asyncio keeps only weak references to tasks.
_closing: set[asyncio.Task[None]] = set()


def close_abandoned(http: httpx.AsyncClient, aiohttp_transport: AiohttpTransport | None) -> None:
    """Close ``http`` (and ``aiohttp_transport``, when it is ours) from a finaliser."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None and not loop.is_closed():
        task = loop.create_task(http.aclose())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
    elif aiohttp_transport is not None:
        aiohttp_transport.close_now()
