"""How a client's connections reach the API: proxies, trusted certificates, idle connections.

``NetworkSettings`` is decided once, when the client is built, and handed unchanged to the
transport (either one) and to the request path, which names the proxy in its errors.

Idle connections: NATs, firewalls and load balancers forget an idle connection silently after
60 to 350 s, and a request sent on it then waits for its read timeout. Pooled connections
therefore expire after ``keepalive_expiry`` idle seconds (15 by default, under any of those
limits), and carry TCP keepalive probes (after 60 s idle, every 60 s, 5 of them, where the
operating system has the options) so that a connection kept busy longer is not forgotten.
"""

from __future__ import annotations

import math
import os
import socket
import ssl
import warnings
from collections.abc import Mapping

import attrs

from galatea_async._http._logging import logger
from galatea_async._http._proxies import ProxyRoutes
from galatea_async._http._tls import TrustSettings

__all__ = [
    "DEFAULT_KEEPALIVE_EXPIRY",
    "DIRECT",
    "NetworkSettings",
    "keepalive_socket_options",
    "network_settings",
]

DEFAULT_KEEPALIVE_EXPIRY = 15.0
KEEPALIVE_IDLE = 60
KEEPALIVE_INTERVAL = 60
KEEPALIVE_PROBES = 5


@attrs.frozen
class NetworkSettings:
    """One client's proxies, TLS trust and idle-connection expiry."""

    proxies: ProxyRoutes = ProxyRoutes()
    trust: TrustSettings = TrustSettings()
    keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY


DIRECT = NetworkSettings()


def keepalive_socket_options() -> list[tuple[int, int, int]]:
    """``setsockopt`` arguments for TCP keepalive: those this operating system has."""
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    # Linux names the idle time TCP_KEEPIDLE, macOS TCP_KEEPALIVE; Windows has neither here.
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for name, value in (
        (idle, KEEPALIVE_IDLE),
        (getattr(socket, "TCP_KEEPINTVL", None), KEEPALIVE_INTERVAL),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_PROBES),
    ):
        if name is not None:
            options.append((socket.IPPROTO_TCP, name, value))
    return options


def network_settings(
    *,
    proxy: str | None,
    verify: bool | str | os.PathLike[str] | ssl.SSLContext,
    trust_env: bool,
    keepalive_expiry: float,
    environ: Mapping[str, str],
    builds_transport: bool = True,
) -> NetworkSettings:
    """The settings of ``AsyncGalatea(proxy=, verify=, trust_env=, keepalive_expiry=)``,
    the environment read once; errors name the argument (or variable) and the fix.

    A client given its own ``transport=`` or ``http_client=`` (``builds_transport=False``)
    goes its own way: ``DIRECT``, and ``proxy=``/``verify=`` are refused with it.
    """
    if not isinstance(trust_env, bool):
        raise TypeError(f"trust_env must be True or False, got {type(trust_env).__name__}")
    if isinstance(keepalive_expiry, bool) or not isinstance(keepalive_expiry, (int, float)):
        raise TypeError("keepalive_expiry must be a number of seconds")
    if not (math.isfinite(keepalive_expiry) and keepalive_expiry >= 0):
        raise ValueError(f"keepalive_expiry must be >= 0 seconds, got {keepalive_expiry!r}")
    if not builds_transport:
        # The environment is not read at all: a variable this client never uses cannot
        # refuse it.
        if proxy is not None or verify is not True:
            raise ValueError(
                "proxy= and verify= configure the client's own transport: with transport= or "
                "http_client=, set the proxy and TLS verification on that one instead"
            )
        return DIRECT
    settings = NetworkSettings(
        proxies=ProxyRoutes.from_settings(proxy, trust_env=trust_env, environ=environ),
        trust=TrustSettings.from_settings(verify, trust_env=trust_env, environ=environ),
        keepalive_expiry=float(keepalive_expiry),
    )
    if verify is False:
        _warn_unverified()
    return settings


def _warn_unverified() -> None:
    message = (
        "verify=False: TLS certificates are NOT verified, so anyone on the network path can "
        "read and alter API keys and patient data; pass verify='/path/to/ca-bundle.pem' "
        "(or set SSL_CERT_FILE) to trust a private CA instead"
    )
    # The caller's line: _warn_unverified <- network_settings <- AsyncGalatea.__init__.
    warnings.warn(message, UserWarning, stacklevel=4)
    logger.warning(message)
