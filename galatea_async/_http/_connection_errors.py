"""How a failed connection is told to the caller: the ``APIConnectionError`` of a transport
error (a timeout, a refused or unreachable proxy, a certificate the trust store rejects) and the
``ProxyError`` of a proxy's 407. Nothing here does I/O."""

from __future__ import annotations

import httpx

from galatea_async._http._network import DIRECT
from galatea_async._http._proxies import shown_proxy
from galatea_async._http._tls import TrustSettings, certificate_failed
from galatea_async.errors import APIConnectionError, APITimeoutError, ProxyError

__all__ = ["connection_error", "proxy_refused"]


def connection_error(
    exc: httpx.TransportError,
    method: str,
    path: str,
    proxy: str | None = None,
    trust: TrustSettings = DIRECT.trust,
) -> APIConnectionError:
    """The ``APIConnectionError`` a transport error maps to: ``APITimeoutError`` for a
    timeout, ``ProxyError`` when ``proxy`` (the URL the request went through) failed it, a
    certificate failure explained with what ``trust`` trusts and how to change it."""
    name = type(exc).__name__
    detail = str(exc).split("\n", 1)[0] or name
    via = f" through the proxy {shown_proxy(proxy)}" if proxy else ""
    if certificate_failed(exc):
        return APIConnectionError(
            f"{method} {path}: TLS certificate verification failed{via}: the server's "
            f"certificate is not signed by a CA that {trust.shown} holds ({detail}). If your "
            "network uses a private CA (TLS inspection), pass its bundle with "
            "AsyncGalatea(verify='/path/to/ca-bundle.pem') or set SSL_CERT_FILE"
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{method} {path}: timed out{via} ({name}: {detail}){_timeout_setting(exc)}"
        )
    if proxy and isinstance(exc, httpx.ProxyError):
        if detail.startswith("407"):
            return proxy_refused(method, path, proxy)
        return ProxyError(
            f"{method} {path}: the proxy {shown_proxy(proxy)} refused to connect to the API "
            f"({detail}); check that it allows the API's host",
            proxy=shown_proxy(proxy),
        )
    if proxy and isinstance(exc, httpx.ConnectError):
        return ProxyError(
            f"{method} {path}: could not connect to the proxy {shown_proxy(proxy)} ({detail}); "
            "check proxy= or HTTPS_PROXY/HTTP_PROXY (and NO_PROXY), or that the proxy is up",
            proxy=shown_proxy(proxy),
        )
    return APIConnectionError(
        f"{method} {path}: the API could not be reached{via} ({name}: {detail})"
    )


_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def _timeout_setting(exc: httpx.TimeoutException) -> str:
    """Which timeout ran out and how to change it, for the error's message."""
    phase = next((name for kind, name in _TIMEOUT_PHASES.items() if isinstance(exc, kind)), None)
    if phase is None:
        return ""
    return (
        f"; the {phase} timeout is set with AsyncGalatea(timeout=httpx.Timeout(..., "
        f"{phase}=SECONDS)) or per call with client.with_options(timeout=...)"
    )


def proxy_refused(method: str, path: str, proxy: str) -> ProxyError:
    """The error of a proxy that answered 407: it refused the credentials it was given."""
    return ProxyError(
        f"{method} {path}: the proxy {shown_proxy(proxy)} refused its credentials "
        "(407 Proxy Authentication Required): check the user name and password in proxy= "
        "or HTTPS_PROXY/HTTP_PROXY; the request did not reach the API, so the API key was "
        "not checked",
        proxy=shown_proxy(proxy),
    )
