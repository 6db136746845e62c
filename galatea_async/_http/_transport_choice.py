"""Which transport a client gets: the aiohttp-backed one (``_transport.py``) unless told
otherwise, httpx's own (``_httpx_transport.py``) when asked, or the one ``GALATEA_TRANSPORT``
names."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from galatea_async._http._httpx_transport import HttpxTransport
from galatea_async._http._network import DIRECT, NetworkSettings
from galatea_async._http._transport import DEFAULT_READ_SIZE, AiohttpTransport

__all__ = ["default_transport", "httpx_transport", "transport_from_environment"]


def default_transport(
    *,
    max_connections: int,
    read_size: int = DEFAULT_READ_SIZE,
    network: NetworkSettings = DIRECT,
) -> httpx.AsyncBaseTransport:
    """The transport ``AsyncGalatea`` uses unless told otherwise: aiohttp-backed."""
    return AiohttpTransport(limit=max_connections, read_size=read_size, network=network)


def httpx_transport(
    *, max_connections: int, network: NetworkSettings = DIRECT
) -> httpx.AsyncBaseTransport:
    """httpx's own transport (the fallback, also on trio), pooled for ``max_connections``."""
    return HttpxTransport(max_connections=max_connections, network=network)


def transport_from_environment(
    *, max_connections: int, network: NetworkSettings, environ: Mapping[str, str]
) -> httpx.AsyncBaseTransport:
    """The transport ``GALATEA_TRANSPORT`` names: ``aiohttp`` (the default) or ``httpx``."""
    choice = environ.get("GALATEA_TRANSPORT", "aiohttp").strip().lower() or "aiohttp"
    if choice == "aiohttp":
        return default_transport(max_connections=max_connections, network=network)
    if choice == "httpx":
        return httpx_transport(max_connections=max_connections, network=network)
    raise ValueError(
        f"GALATEA_TRANSPORT={choice!r} is not a transport: use 'aiohttp' (the default, "
        "fastest, asyncio only) or 'httpx' (httpx's own, also for trio)"
    )
