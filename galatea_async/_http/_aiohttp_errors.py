"""aiohttp's side of the default transport: its errors as httpx's, its timeouts from httpx's.

``map_errors`` re-raises what aiohttp raises as the exceptions httpx's own transport raises,
so the request path has one vocabulary for transport failures. aiohttp has no pool timeout of
its own: ``Phase`` bounds the wait for a pooled connection through the connector's queue
signals (``queue_trace``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import aiohttp
import anyio
import httpx

__all__ = [
    "Phase",
    "client_timeout",
    "lost_reused_connection",
    "map_errors",
    "queue_trace",
    "raise_mapped",
]


class Phase:
    """One request's wait for a pooled connection, limited by httpx's ``pool`` timeout.

    aiohttp has no pool timeout of its own (its ``connect`` covers queueing and connecting
    together), so the wait is bounded here: the connector's queue signals arm and disarm a
    cancel scope's deadline around the request.
    """

    __slots__ = ("pool_timeout", "reused", "scope")

    def __init__(self, pool_timeout: float | None = None) -> None:
        self.pool_timeout = pool_timeout
        self.scope = anyio.CancelScope()
        # Whether the request went out on a pooled connection rather than a new one.
        self.reused = False


async def _on_queued_start(session: Any, context: Any, params: Any) -> None:
    phase = context.trace_request_ctx
    if isinstance(phase, Phase) and phase.pool_timeout is not None:
        phase.scope.deadline = anyio.current_time() + phase.pool_timeout


async def _on_queued_end(session: Any, context: Any, params: Any) -> None:
    phase = context.trace_request_ctx
    if isinstance(phase, Phase):
        phase.scope.deadline = math.inf


@contextmanager
def map_errors(request: httpx.Request | None, *, in_body: bool) -> Iterator[None]:
    """Re-raise aiohttp's errors as the httpx exceptions httpx's own transport raises.

    ``request`` is attached where there is one (the direct path has none).
    """
    try:
        yield
    except Exception as exc:
        raise_mapped(exc, request, in_body=in_body)


def raise_mapped(error: Exception, request: httpx.Request | None, *, in_body: bool) -> NoReturn:
    """Raise ``error`` (raised by aiohttp) as the httpx exception ``map_errors`` names."""
    try:
        raise error
    except httpx.HTTPError:
        raise
    except aiohttp.ClientHttpProxyError as exc:
        # The proxy answered CONNECT with an error (407: it refused our credentials).
        raise httpx.ProxyError(f"{exc.status} {exc.message}", request=request) from exc
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
    except (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except (aiohttp.NonHttpUrlClientError, aiohttp.InvalidURL) as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
        # The peer closed the connection early: what h11 reports as RemoteProtocolError.
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected", request=request) from exc
    except aiohttp.ClientResponseError as exc:
        # aiohttp's HTTP parser refused the response.
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except (aiohttp.ClientOSError, aiohttp.ClientConnectionError, OSError) as exc:
        kind = httpx.ReadError if in_body else httpx.WriteError
        raise kind(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc


async def _on_reused(session: Any, context: Any, params: Any) -> None:
    phase = context.trace_request_ctx
    if isinstance(phase, Phase):
        phase.reused = True


def queue_trace() -> aiohttp.TraceConfig:
    """The trace hooks that arm and disarm a request's ``Phase`` while it queues, and mark
    it ``reused`` when it gets a pooled connection."""
    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(_on_queued_start)
    trace.on_connection_queued_end.append(_on_queued_end)
    trace.on_connection_reuseconn.append(_on_reused)
    return trace


def lost_reused_connection(exc: httpx.TransportError, phase: Phase) -> bool:
    """Whether ``exc`` (mapped by ``map_errors`` before the answer's headers) is the server
    closing or resetting the pooled connection ``phase`` reused."""
    cause = exc.__cause__
    return (
        phase.reused
        and isinstance(cause, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError))
        and not isinstance(cause, aiohttp.ClientConnectorError)
    )


def client_timeout(timeouts: dict[str, float | None]) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for httpx's: ``connect`` per socket connect, ``read`` per read.

    ``pool`` is enforced by ``Phase``; aiohttp has no write timeout.
    """
    return aiohttp.ClientTimeout(
        total=None,
        connect=None,
        sock_connect=timeouts.get("connect"),
        sock_read=timeouts.get("read"),
    )
