"""The one decision loop of the request path, shared by API calls and downloads on both ways
out (httpx, or the lean aiohttp path): credentials, retries, one renewal on 401, redirects,
error mapping and the log line of each attempt.

``run_attempts`` sends a ``Call`` through a ``send`` adapter (the I/O) until an answer is
final. What to do after each attempt is decided by the pure rules it calls:
``_retry.retry_decision`` and the ``RetryBudget`` (retry or not, how long to wait),
``_redirects.next_hop`` (where a redirect leads and whether credentials go),
``CredentialsAuth.can_renew`` (whether a 401 earns one renewed token) and
``_responses.error_for_status`` (which ``APIError``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import anyio
import attrs
import httpx

from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._calls import Call, ReplayableBody
from galatea_async._http._decoding import BoundedDecoder, ContentDecodingError
from galatea_async._http._logging import logger
from galatea_async._http._network import DIRECT, NetworkSettings
from galatea_async._http._proxies import shown_proxy
from galatea_async._http._redact import redact_text
from galatea_async._http._redirects import REDIRECT_STATUSES, Origin, RedirectRefused, next_hop
from galatea_async._http._responses import error_for_status, request_id_of
from galatea_async._http._retry import (
    FailureKind,
    RetryBudget,
    RetryPolicy,
    backoff_delay,
    classify_exception,
    resend_on_another_connection,
    retry_decision,
)
from galatea_async._http._tls import TrustSettings, certificate_failed
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import WireResponse
from galatea_async.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ProxyError,
    UnexpectedRedirectError,
)

__all__ = ["AttemptRules", "Call", "ReplayableBody", "read_decoded", "run_attempts"]

# An error's body is read for its message up to this size (decoded).
MAX_ERROR_BODY_BYTES = 1 << 20

T = TypeVar("T")


@attrs.frozen
class AttemptRules:
    """What the loop decides with: one per client (or ``with_options`` view)."""

    auth: CredentialsAuth
    budget: RetryBudget
    policy: RetryPolicy
    # Extra headers for requests to the API's origin (``with_options(headers=...)``).
    extra_headers: tuple[tuple[str, str], ...]
    api_origin: Origin
    # The proxies and TLS trust requests go out with, named in connection errors.
    network: NetworkSettings = DIRECT


# send(call, headers): one request, its answer open (headers read, body not).
Send = Callable[[Call, dict[str, str]], Awaitable[WireResponse]]
# finish(response, call): what a 2xx becomes (read and closed, or handed over open).
Finish = Callable[[WireResponse, Call], Awaitable[T]]


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
        return APITimeoutError(f"{method} {path}: timed out{via} ({name}: {detail})")
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


def proxy_refused(method: str, path: str, proxy: str) -> ProxyError:
    """The error of a proxy that answered 407: it refused the credentials it was given."""
    return ProxyError(
        f"{method} {path}: the proxy {shown_proxy(proxy)} refused its credentials "
        "(407 Proxy Authentication Required): check the user name and password in proxy= "
        "or HTTPS_PROXY/HTTP_PROXY; the request did not reach the API, so the API key was "
        "not checked",
        proxy=shown_proxy(proxy),
    )


async def read_decoded(response: WireResponse, limit: int) -> bytes:
    """The body, its ``Content-Encoding`` undone; ``BodyTooLarge`` past ``limit`` decoded."""
    decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
    pieces: list[bytes] = []
    async for raw in response.iter_raw():
        pieces += decoder.feed(raw)
    pieces += decoder.finish()
    return b"".join(pieces)


async def run_attempts(
    call: Call, send: Send, finish: Finish[T], span: CallSpan, rules: AttemptRules
) -> T:
    """The result of ``finish`` on the first 2xx, after credentials, retries, one renewal
    on 401 and redirects; else the mapped error. ``finish`` is part of the attempt: a
    transport error while it reads the body is retried like one before the answer.
    """
    policy, auth, budget = rules.policy, rules.auth, rules.budget
    attempt = hops = resends = 0
    last_tokens: int | None = None
    renewed = False
    while True:
        span.record_send()
        headers = dict(call.headers) if call.headers else {}
        token: str | None = None
        if call.credentials:
            for key, value in rules.extra_headers:
                headers.setdefault(key, value)
            span.inject(headers)
            if call.authenticated:
                token = await auth.access_token()
                headers["authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            response = await send(call, headers)
            status = response.status_code
            span.record_status(status)
            if status < 300:
                result = await finish(response, call)
                _log(call, status, started, attempt)
                budget.record_success(last_tokens)
                return result
        except RedirectRefused as refused:  # the send adapter saw a redirect it cannot follow
            _log(call, "3xx", started, attempt)
            raise UnexpectedRedirectError(
                str(refused), status_code=None, method=call.method, path=call.path
            ) from None
        except httpx.TransportError as exc:
            _log(call, type(exc).__name__, started, attempt)
            if resend_on_another_connection(
                exc, method=call.method, idempotent=call.idempotent, resends=resends
            ):
                resends += 1
                continue
            failure = classify_exception(exc)
            retry = failure is not None and retry_decision(
                method=call.method, idempotent=call.idempotent, attempt=attempt, policy=policy,
                failure=failure,
            )  # fmt: skip
            tokens = budget.try_acquire(failure) if retry else None
            if tokens is None:
                proxy = rules.network.proxies.proxy_for(call.url)
                raise connection_error(
                    exc, call.method, call.path, proxy, rules.network.trust
                ) from exc
            await anyio.sleep(backoff_delay(attempt, policy))
            attempt, last_tokens = attempt + 1, tokens
            continue
        _log(call, status, started, attempt, response.headers)
        proxy = rules.network.proxies.proxy_for(call.url) if status == 407 else None
        if proxy is not None:
            await response.aclose()
            raise proxy_refused(call.method, call.path, proxy)
        if status in REDIRECT_STATUSES and call.follow_redirects:
            location = response.headers.get("location")
            await response.aclose()
            try:
                hop = next_hop(
                    url=call.url, method=call.method, status=status, location=location, count=hops,
                    api_origin=rules.api_origin,
                )  # fmt: skip
            except RedirectRefused as refused:
                raise UnexpectedRedirectError(
                    str(refused), status_code=status, method=call.method, path=call.path
                ) from None
            call = attrs.evolve(call, url=hop.url, method=hop.method, credentials=hop.credentials)
            hops = hop.count
            continue
        error = await _error_from(response, call)
        if status == 401 and token is not None and not renewed and auth.can_renew(token):
            # Replay once with a renewed token; a second 401 goes back as an error.
            await auth.renew(stale=token)
            renewed = True
            continue
        retry = retry_decision(
            method=call.method, idempotent=call.idempotent, attempt=attempt, policy=policy,
            status=status,
        )  # fmt: skip
        tokens = budget.try_acquire(FailureKind.STATUS) if retry else None
        if tokens is None:
            raise error
        await anyio.sleep(backoff_delay(attempt, policy, retry_after=error.retry_after))
        attempt, last_tokens = attempt + 1, tokens


def _log(
    call: Call,
    outcome: int | str,
    started: float,
    attempt: int,
    headers: Mapping[str, str] | None = None,
) -> None:
    """The attempt's DEBUG line; a failed answer's request id when the server sent one."""
    if logger.isEnabledFor(logging.DEBUG):  # nothing is formatted unless it is on
        request_id = request_id_of(headers) if headers is not None else None
        logger.debug(
            "%s %s -> %s in %.3fs (attempt %d)%s",
            call.method, call.log_path, outcome, time.monotonic() - started, attempt + 1,
            f" request id {redact_text(request_id)}" if request_id else "",
        )  # fmt: skip


async def _error_from(response: WireResponse, call: Call) -> APIError:
    try:
        content = await read_decoded(response, MAX_ERROR_BODY_BYTES)
    except (httpx.TransportError, ContentDecodingError):
        content = b""
    finally:
        await response.aclose()
    return error_for_status(
        status_code=response.status_code,
        content=content,
        headers={key.lower(): value for key, value in response.headers.items()},
        method=call.method,
        path=call.path,
    )
