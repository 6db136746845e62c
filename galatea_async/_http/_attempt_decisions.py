"""What the request path does after an attempt that did not end the call, decided without I/O.

An ``AttemptState`` says where a call stands (the ``Call`` as the next attempt sends it, the
retries, redirects and resends made, whether the one renewal after a 401 is spent, what the last
retry took from the budget). Each decision takes the state and what the attempt met, and returns
the next step:

- ``Again``: send at once as ``state`` says (a resend on another connection, a redirect hop);
- ``Renew``: renew the credentials that drew a 401, then send again (once per call);
- ``Retry``: take the budget's tokens for ``failure`` and wait ``wait`` seconds, then send again;
  when the shared budget has no tokens left, fail with ``error`` instead;
- ``Fail``: raise ``error``.

``after_transport_error`` decides after a connection failed, ``after_redirect_refused`` after
the send adapter refused a redirect, ``after_answer`` before an answer's body is read (a proxy's
407, a redirect; ``None`` when the body must be read for the error) and ``after_error`` once the
error is read. The rules themselves live in ``_retry.py`` (retry or not, how long to wait),
``_redirects.py`` (where a hop leads) and ``_connection_errors.py`` (which error).
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable

import attrs
import httpx

from galatea_async._http._calls import Call
from galatea_async._http._connection_errors import connection_error, proxy_refused
from galatea_async._http._network import NetworkSettings
from galatea_async._http._redirects import REDIRECT_STATUSES, Origin, RedirectRefused, next_hop
from galatea_async._http._retry import (
    FailureKind,
    RetryPolicy,
    backoff_delay,
    classify_exception,
    resend_on_another_connection,
    retry_decision,
)
from galatea_async.errors import APIError, GalateaError, UnexpectedRedirectError

__all__ = [
    "Again",
    "AttemptState",
    "Fail",
    "Renew",
    "Retry",
    "Step",
    "after_answer",
    "after_error",
    "after_redirect_refused",
    "after_transport_error",
]


@attrs.frozen
class AttemptState:
    """Where a call stands between two attempts."""

    call: Call  # as the next attempt sends it: a redirect hop changes its method and URL
    retries: int = 0  # counted against ``RetryPolicy.max_retries``
    redirects: int = 0
    resends: int = 0  # on another connection after a lost idle one: not retries
    renewed: bool = False  # the one renewal of credentials after a 401 is spent
    retry_tokens: int | None = None  # what the last retry took from the budget


@attrs.frozen
class Again:
    """Send again at once, as ``state`` says."""

    state: AttemptState


@attrs.frozen
class Renew:
    """Renew the credentials ``stale`` (the token that drew a 401), then send as ``state``."""

    state: AttemptState
    stale: str = attrs.field(repr=False)


@attrs.frozen
class Retry:
    """Retry after ``wait`` seconds if the budget grants the tokens of ``failure``; else
    raise ``error`` (from ``cause``)."""

    state: AttemptState
    failure: FailureKind
    wait: float
    error: GalateaError
    cause: BaseException | None = None


@attrs.frozen
class Fail:
    """Raise ``error`` (from ``cause``, ``None`` hiding the context)."""

    error: GalateaError
    cause: BaseException | None = None


Step = Again | Renew | Retry | Fail


def after_transport_error(
    state: AttemptState,
    exc: httpx.TransportError,
    *,
    policy: RetryPolicy,
    network: NetworkSettings,
    random: Callable[[], float] = _random.random,
) -> Step:
    """After an attempt whose connection failed (before the answer, or while reading it)."""
    call = state.call
    if resend_on_another_connection(
        exc, method=call.method, idempotent=call.idempotent, resends=state.resends
    ):
        return Again(attrs.evolve(state, resends=state.resends + 1))
    proxy = network.proxies.proxy_for(call.url)
    error = connection_error(exc, call.method, call.path, proxy, network.trust)
    failure = classify_exception(exc)
    if failure is None or not retry_decision(
        method=call.method,
        idempotent=call.idempotent,
        attempt=state.retries,
        policy=policy,
        failure=failure,
    ):
        return Fail(error, cause=exc)
    wait = backoff_delay(state.retries, policy, random=random)
    return Retry(attrs.evolve(state, retries=state.retries + 1), failure, wait, error, cause=exc)


def after_redirect_refused(state: AttemptState, refused: RedirectRefused) -> Fail:
    """After the send adapter met a redirect it cannot follow (a malformed ``Location``)."""
    call = state.call
    return Fail(
        UnexpectedRedirectError(str(refused), status_code=None, method=call.method, path=call.path)
    )


def after_answer(
    state: AttemptState,
    status: int,
    location: str | None,
    *,
    api_origin: Origin,
    network: NetworkSettings,
) -> Step | None:
    """After an answer of ``status`` (not 2xx), before its body is read: a proxy's refusal,
    a redirect followed or refused; ``None`` when the answer is an error to read."""
    call = state.call
    proxy = network.proxies.proxy_for(call.url) if status == 407 else None
    if proxy is not None:
        return Fail(proxy_refused(call.method, call.path, proxy))
    if status not in REDIRECT_STATUSES or not call.follow_redirects:
        return None
    try:
        hop = next_hop(
            url=call.url,
            method=call.method,
            status=status,
            location=location,
            count=state.redirects,
            api_origin=api_origin,
        )
    except RedirectRefused as refused:
        return Fail(
            UnexpectedRedirectError(
                str(refused), status_code=status, method=call.method, path=call.path
            )
        )
    hop_call = attrs.evolve(call, url=hop.url, method=hop.method, credentials=hop.credentials)
    return Again(attrs.evolve(state, call=hop_call, redirects=hop.count))


def after_error(
    state: AttemptState,
    error: APIError,
    *,
    renewable_token: str | None,
    policy: RetryPolicy,
    random: Callable[[], float] = _random.random,
) -> Step:
    """After an error answer, read into ``error``. ``renewable_token`` is the token the
    attempt carried when the credentials can renew it (``None`` for none, or an API key)."""
    call = state.call
    if error.status_code == 401 and renewable_token is not None and not state.renewed:
        # Replay once with a renewed token; a second 401 goes back as an error.
        return Renew(attrs.evolve(state, renewed=True), renewable_token)
    if not retry_decision(
        method=call.method,
        idempotent=call.idempotent,
        attempt=state.retries,
        policy=policy,
        status=error.status_code,
    ):
        return Fail(error)
    wait = backoff_delay(state.retries, policy, retry_after=error.retry_after, random=random)
    return Retry(attrs.evolve(state, retries=state.retries + 1), FailureKind.STATUS, wait, error)
