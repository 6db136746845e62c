"""aiohttp's side of the default transport: its errors as httpx's, its timeouts from httpx's.

``raise_mapped`` re-raises what aiohttp raises as the exceptions httpx's own transport raises,
so the request path has one vocabulary for transport failures. httpx's ``pool`` timeout is
aiohttp's ``connect`` (getting a connection: the wait for the pool, and opening a new one) and
httpx's ``connect`` is aiohttp's ``sock_connect`` (one socket connect with its TLS handshake):
aiohttp's own timers, no scope or request tracing of ours.
"""

from __future__ import annotations

import asyncio
from typing import NoReturn

import aiohttp
import httpx

from galatea_async._http._aiohttp_connector import ReusedConnectionDropped, SocketConnectTimeout
from galatea_async._http._wire import ReusedConnectionLost

__all__ = ["client_timeout", "raise_mapped"]


def raise_mapped(error: Exception, request: httpx.Request | None, *, in_body: bool) -> NoReturn:
    """Raise ``error`` (raised by aiohttp) as the exception httpx's own transport raises;
    ``request`` is attached where there is one (the direct path has none)."""
    try:
        raise error
    except httpx.HTTPError:
        raise
    except aiohttp.ClientHttpProxyError as exc:
        # The proxy answered CONNECT with an error (407: it refused our credentials).
        raise httpx.ProxyError(f"{exc.status} {exc.message}", request=request) from exc
    except ReusedConnectionDropped as exc:
        cause = exc.__cause__ or exc
        raise ReusedConnectionLost(str(exc), request=request) from cause
    except SocketConnectTimeout as exc:
        raise httpx.ConnectTimeout(str(exc), request=request) from exc
    except aiohttp.ConnectionTimeoutError as exc:
        # aiohttp's connect timeout is httpx's pool timeout (client_timeout).
        raise httpx.PoolTimeout(
            "timed out getting a connection from the pool", request=request
        ) from exc
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


def client_timeout(timeouts: dict[str, float | None]) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for httpx's: ``pool`` bounds getting a connection (the wait for
    the pool, and opening a new one), ``connect`` each socket connect with its TLS handshake,
    ``read`` each read. aiohttp has no write timeout."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeouts.get("pool"),
        sock_connect=timeouts.get("connect"),
        sock_read=timeouts.get("read"),
    )
