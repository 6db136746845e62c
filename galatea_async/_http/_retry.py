"""Pure retry decisions: what may be retried, how long to wait, and the client-wide budget.

The rules:

- GET, HEAD, PUT, DELETE, PATCH and OPTIONS are idempotent: they are retried on connection
  errors, timeouts, resets, and the statuses 429, 500, 502, 503 and 504.
- POST is not idempotent here (submit, upload, cancel, tag creation, login): it is retried only
  when the request was never sent (connect error, connect timeout, pool timeout). A 429 or 5xx
  answer to a POST is not retried either: the server may have acted on it.
- A 4xx other than 429 is never retried.
- The wait is full jitter, ``random() * min(backoff_max, backoff_initial * 2**n)``, unless the
  server sent ``Retry-After``: then the server's value is honoured exactly, capped at
  ``retry_after_max`` (never shortened by jitter).
- A request that an idle pooled connection failed before any byte of the answer (the server or
  a NAT had dropped it) is sent again at once on another connection when it is idempotent, up
  to ``MAX_LOST_CONNECTION_RESENDS`` times; this is not a retry (no wait, no budget, not
  counted against ``max_retries``): the request never reached a live connection.
- A ``RetryBudget`` shared by the whole client (botocore's retry quota) stops a dead server
  from receiving every call several times over.

Nothing here sleeps or does I/O; the client wires these to httpx and anyio.
"""

from __future__ import annotations

import enum
import math
import random as _random
from collections.abc import Callable

import attrs
import httpx

from galatea_async._http._tls import certificate_failed
from galatea_async._http._wire import ReusedConnectionLost

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "FailureKind",
    "RetryBudget",
    "RetryPolicy",
    "backoff_delay",
    "classify_exception",
    "is_idempotent",
    "request_was_sent",
    "resend_on_another_connection",
    "retry_decision",
]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})


def _non_negative_finite(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _max_retries_valid(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"max_retries must be >= 0 (0 turns retries off), got {value}")


@attrs.frozen
class RetryPolicy:
    """How often and how patiently a call is retried.

    :param max_retries: Retries after the first attempt of a call; ``0`` turns retries off.
    :param backoff_initial: Seconds; the wait before retry ``n`` (from 0) is a random share of
        ``min(backoff_max, backoff_initial * 2**n)`` (full jitter).
    :param backoff_max: Seconds; the longest wait between two attempts, at least
        ``backoff_initial``.
    :param retry_after_max: Seconds; the longest ``Retry-After`` honoured. The server's value
        is waited exactly, never shortened by jitter, up to this cap.
    """

    max_retries: int = attrs.field(default=2, validator=_max_retries_valid)
    backoff_initial: float = attrs.field(default=0.5, validator=_non_negative_finite)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative_finite)
    retry_after_max: float = attrs.field(default=60.0, validator=_non_negative_finite)

    def __attrs_post_init__(self) -> None:
        if self.backoff_max < self.backoff_initial:
            raise ValueError(
                f"backoff_max ({self.backoff_max}) must be >= backoff_initial "
                f"({self.backoff_initial})"
            )


class FailureKind(enum.Enum):
    """Why an attempt failed, as far as retrying cares."""

    CONNECT_ERROR = "connect_error"  # never sent
    CONNECT_TIMEOUT = "connect_timeout"  # never sent
    POOL_TIMEOUT = "pool_timeout"  # never sent
    READ_TIMEOUT = "read_timeout"
    WRITE_TIMEOUT = "write_timeout"
    READ_ERROR = "read_error"
    WRITE_ERROR = "write_error"
    REMOTE_PROTOCOL = "remote_protocol"
    STATUS = "status"  # the server answered; the status decides


_NEVER_SENT = frozenset(
    {FailureKind.CONNECT_ERROR, FailureKind.CONNECT_TIMEOUT, FailureKind.POOL_TIMEOUT}
)
_TIMEOUTS = frozenset(
    {
        FailureKind.CONNECT_TIMEOUT,
        FailureKind.POOL_TIMEOUT,
        FailureKind.READ_TIMEOUT,
        FailureKind.WRITE_TIMEOUT,
    }
)

# Most specific first: ConnectTimeout is also a TimeoutException, and so on.
_EXCEPTION_KINDS: tuple[tuple[type[httpx.TransportError], FailureKind], ...] = (
    (httpx.ConnectTimeout, FailureKind.CONNECT_TIMEOUT),
    (httpx.PoolTimeout, FailureKind.POOL_TIMEOUT),
    (httpx.ReadTimeout, FailureKind.READ_TIMEOUT),
    (httpx.WriteTimeout, FailureKind.WRITE_TIMEOUT),
    (httpx.ConnectError, FailureKind.CONNECT_ERROR),
    (httpx.ReadError, FailureKind.READ_ERROR),
    (httpx.WriteError, FailureKind.WRITE_ERROR),
    (httpx.RemoteProtocolError, FailureKind.REMOTE_PROTOCOL),
)


def classify_exception(exc: BaseException) -> FailureKind | None:
    """The ``FailureKind`` of an httpx transport exception, or ``None`` if it is not retryable.

    Our aiohttp transport raises httpx exceptions too, so httpx's tree is all there is to
    know. Anything else (a local protocol error, a proxy error, a bug) is not retried.
    """
    if certificate_failed(exc):  # the same certificate fails again: say so at once
        return None
    for exception_type, kind in _EXCEPTION_KINDS:
        if isinstance(exc, exception_type):
            return kind
    return None


# Every pooled connection may have been dropped at once (a NAT forgot them all): each resend
# discards one, so this bounds the resends of one request whatever the pool held.
MAX_LOST_CONNECTION_RESENDS = 8


def resend_on_another_connection(
    exc: BaseException, *, method: str, idempotent: bool | None, resends: int
) -> bool:
    """Whether a failed attempt is sent again at once, outside the retry policy: the server
    dropped the reused connection before answering, and the request is idempotent."""
    repeatable = is_idempotent(method) if idempotent is None else idempotent
    return (
        isinstance(exc, ReusedConnectionLost)
        and repeatable
        and resends < MAX_LOST_CONNECTION_RESENDS
    )


def request_was_sent(kind: FailureKind) -> bool:
    """Whether the server may have seen the request (so retrying a POST could repeat it)."""
    return kind not in _NEVER_SENT


def is_idempotent(method: str) -> bool:
    """Whether repeating a request with this method has the effect of sending it once."""
    return method.upper() in IDEMPOTENT_METHODS


def retry_decision(
    *,
    method: str,
    idempotent: bool | None,
    attempt: int,
    policy: RetryPolicy,
    status: int | None = None,
    failure: FailureKind | None = None,
) -> bool:
    """Whether to retry after a failed attempt; ``attempt`` counts the retries already made.

    ``idempotent=None`` derives it from ``method``. Pass ``failure`` for a transport error
    (from ``classify_exception``), or ``status`` for an answer. See the module docstring for
    the rules.
    """
    if attempt >= policy.max_retries:
        return False
    repeatable = is_idempotent(method) if idempotent is None else idempotent
    if failure is not None and failure is not FailureKind.STATUS:
        return repeatable or not request_was_sent(failure)
    if status is None:
        return False
    return repeatable and status in RETRYABLE_STATUSES


# 2**64 times any sane backoff_initial is already far past backoff_max.
_MAX_EXPONENT = 64


def backoff_delay(
    retry_number: int,
    policy: RetryPolicy,
    *,
    retry_after: float | None = None,
    random: Callable[[], float] = _random.random,
) -> float:
    """Seconds to wait before retry number ``retry_number`` (0 for the first retry).

    With a usable ``retry_after`` (seconds, from ``parse_retry_after``) the server is
    honoured: ``min(retry_after, policy.retry_after_max)``, no jitter. Otherwise full jitter:
    ``random() * min(backoff_max, backoff_initial * 2**retry_number)``.
    """
    if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
        return min(retry_after, policy.retry_after_max)
    exponent = min(max(retry_number, 0), _MAX_EXPONENT)
    ceiling = min(policy.backoff_max, policy.backoff_initial * 2.0**exponent)
    fraction = min(max(random(), 0.0), 1.0)
    return fraction * ceiling


class RetryBudget:
    """Retry tokens shared by every call of one client, after botocore's ``RetryQuotaChecker``.

    A retry takes ``retry_cost`` tokens (``timeout_retry_cost`` after a timeout, since a
    timing-out server is the one most hurt by more load); without enough tokens the call
    fails instead of retrying. A call that succeeds first time gives back ``success_refund``;
    a call that succeeds after retrying gives back what its last retry took. From a full
    budget of 500, a server that fails everything gets at most 100 retries in total (50 if it
    times out), not two per call.

    Single event loop, no awaits inside: no lock is needed.
    """

    def __init__(
        self,
        capacity: int = 500,
        *,
        retry_cost: int = 5,
        timeout_retry_cost: int = 10,
        success_refund: int = 1,
    ) -> None:
        for name, value in (
            ("capacity", capacity),
            ("retry_cost", retry_cost),
            ("timeout_retry_cost", timeout_retry_cost),
            ("success_refund", success_refund),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_retry_cost = timeout_retry_cost
        self.success_refund = success_refund
        self._available = capacity

    @property
    def available(self) -> int:
        """The tokens left."""
        return self._available

    def cost(self, failure: FailureKind | None) -> int:
        """The tokens a retry after ``failure`` takes (``None``: a retryable status)."""
        return self.timeout_retry_cost if failure in _TIMEOUTS else self.retry_cost

    def try_acquire(self, failure: FailureKind | None) -> int | None:
        """The tokens taken for one retry after ``failure``, or ``None`` if the budget is spent."""
        cost = self.cost(failure)
        if cost > self._available:
            return None
        self._available -= cost
        return cost

    def release(self, amount: int) -> None:
        """Give back ``amount`` tokens, never beyond ``capacity``."""
        self._available = min(self.capacity, self._available + max(amount, 0))

    def record_success(self, last_retry_tokens: int | None = None) -> None:
        """Refund after a successful call: its last retry's tokens, or ``success_refund``."""
        self.release(last_retry_tokens if last_retry_tokens else self.success_refund)

    def __repr__(self) -> str:
        return f"RetryBudget(available={self._available}, capacity={self.capacity})"
