"""The one attempt loop of the request path, shared by API calls and downloads on both ways
out (httpx, or the direct aiohttp path): it sends, reads, logs and waits; it decides nothing.

``run_attempts`` sends a ``Call`` through a ``send`` adapter (the I/O) until an answer is
final. After each attempt that did not end the call it asks the pure decisions of
``_attempt_decisions.py`` what to do next (resend, follow a redirect, renew credentials, retry,
fail) and does it: the budget's tokens, the wait, the renewal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import anyio
import attrs
import httpx

from galatea_async._http._attempt_decisions import (
    AttemptState,
    Fail,
    Renew,
    Retry,
    Step,
    after_answer,
    after_error,
    after_redirect_refused,
    after_transport_error,
)
from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._calls import Call, ReplayableBody
from galatea_async._http._decoding import BoundedDecoder, ContentDecodingError
from galatea_async._http._logging import logger
from galatea_async._http._network import DIRECT, NetworkSettings
from galatea_async._http._redact import redact_text
from galatea_async._http._redirects import Origin, RedirectRefused
from galatea_async._http._responses import error_for_status, request_id_of
from galatea_async._http._retry import RetryBudget, RetryPolicy
from galatea_async._http._tracing import CallSpan
from galatea_async._http._wire import WireResponse
from galatea_async.errors import APIError

__all__ = ["AttemptRules", "Call", "ReplayableBody", "read_decoded", "run_attempts"]

# An error's body is read for its message up to this size (decoded).
MAX_ERROR_BODY_BYTES = 1 << 20

T = TypeVar("T")


@attrs.frozen
class AttemptRules:
    """What the loop works with: one per client (or ``with_options`` view)."""

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
    state = AttemptState(call)
    while True:
        span.record_send()
        headers, token = await _request_headers(state.call, span, rules)
        started = time.monotonic()
        step: Step
        try:
            response = await send(state.call, headers)
            status = response.status_code
            span.record_status(status)
            if status < 300:
                result = await finish(response, state.call)
                _log(state, status, started)
                rules.budget.record_success(state.retry_tokens)
                return result
        except RedirectRefused as refused:
            _log(state, "3xx", started)
            step = after_redirect_refused(state, refused)
        except httpx.TransportError as exc:
            _log(state, type(exc).__name__, started)
            step = after_transport_error(state, exc, policy=rules.policy, network=rules.network)
        else:
            _log(state, status, started, response.headers)
            step = await _after_answer(state, response, token, rules)
        state = await _take(step, rules)


async def _request_headers(
    call: Call, span: CallSpan, rules: AttemptRules
) -> tuple[dict[str, str], str | None]:
    """One attempt's headers, and the token in them: credentials, the caller's extra headers
    and the trace context go to the API's origin only."""
    headers = dict(call.headers) if call.headers else {}
    if not call.credentials:
        return headers, None
    for key, value in rules.extra_headers:
        headers.setdefault(key, value)
    span.inject(headers)
    if not call.authenticated:
        return headers, None
    token = await rules.auth.access_token()
    headers["authorization"] = f"Bearer {token}"
    return headers, token


async def _after_answer(
    state: AttemptState, response: WireResponse, token: str | None, rules: AttemptRules
) -> Step:
    """The step after a non-2xx answer: its error body is read only when it is an error."""
    status = response.status_code
    step = after_answer(
        state,
        status,
        response.headers.get("location"),
        api_origin=rules.api_origin,
        network=rules.network,
    )
    if step is not None:
        await response.aclose()
        return step
    error = await _error_from(response, state.call)
    renewable = token if token is not None and rules.auth.can_renew(token) else None
    return after_error(state, error, renewable_token=renewable, policy=rules.policy)


async def _take(step: Step, rules: AttemptRules) -> AttemptState:
    """Do what ``step`` says (raise, renew, or take the budget's tokens and wait); the state
    of the next attempt."""
    if isinstance(step, Fail):
        raise step.error from step.cause
    if isinstance(step, Retry):
        tokens = rules.budget.try_acquire(step.failure)
        if tokens is None:
            raise step.error from step.cause
        await anyio.sleep(step.wait)
        return attrs.evolve(step.state, retry_tokens=tokens)
    if isinstance(step, Renew):
        await rules.auth.renew(stale=step.stale)
    return step.state


def _log(
    state: AttemptState,
    outcome: int | str,
    started: float,
    headers: Mapping[str, str] | None = None,
) -> None:
    """The attempt's DEBUG line; a failed answer's request id when the server sent one."""
    if logger.isEnabledFor(logging.DEBUG):  # nothing is formatted unless it is on
        request_id = request_id_of(headers) if headers is not None else None
        logger.debug(
            "%s %s -> %s in %.3fs (attempt %d)%s",
            state.call.method, state.call.log_path, outcome, time.monotonic() - started,
            state.retries + 1,
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
