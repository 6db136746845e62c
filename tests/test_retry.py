from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._http._retry import (
    FailureKind,
    RetryBudget,
    RetryPolicy,
    backoff_delay,
    classify_exception,
    request_was_sent,
    retry_decision,
)

POLICY = RetryPolicy()
REQUEST = httpx.Request("GET", "https://api.galatea.bio/api/v1/x")
NEVER_SENT = [FailureKind.CONNECT_ERROR, FailureKind.CONNECT_TIMEOUT, FailureKind.POOL_TIMEOUT]
MAYBE_SENT = [
    FailureKind.READ_TIMEOUT,
    FailureKind.WRITE_TIMEOUT,
    FailureKind.READ_ERROR,
    FailureKind.WRITE_ERROR,
    FailureKind.REMOTE_PROTOCOL,
]


# --- RetryPolicy -------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.backoff_initial) == (2, 0.5)
    assert (policy.backoff_max, policy.retry_after_max) == (8.0, 60.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"max_retries": True}, TypeError, "max_retries"),
        ({"backoff_initial": -0.1}, ValueError, "backoff_initial"),
        ({"backoff_max": float("inf")}, ValueError, "backoff_max"),
        ({"retry_after_max": float("nan")}, ValueError, "retry_after_max"),
        ({"backoff_initial": "1"}, TypeError, "backoff_initial"),
        ({"backoff_initial": 10.0, "backoff_max": 1.0}, ValueError, "backoff_max"),
    ],
)
def test_policy_refuses_nonsense(kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_zero_retries_never_retries() -> None:
    policy = RetryPolicy(max_retries=0)
    assert not retry_decision(method="GET", idempotent=None, attempt=0, policy=policy, status=503)


# --- classify_exception ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (httpx.ConnectError("refused"), FailureKind.CONNECT_ERROR),
        (httpx.ConnectTimeout("slow"), FailureKind.CONNECT_TIMEOUT),
        (httpx.PoolTimeout("full"), FailureKind.POOL_TIMEOUT),
        (httpx.ReadTimeout("slow"), FailureKind.READ_TIMEOUT),
        (httpx.WriteTimeout("slow"), FailureKind.WRITE_TIMEOUT),
        (httpx.ReadError("reset"), FailureKind.READ_ERROR),
        (httpx.WriteError("reset"), FailureKind.WRITE_ERROR),
        (httpx.RemoteProtocolError("eof"), FailureKind.REMOTE_PROTOCOL),
    ],
)
def test_httpx_exceptions_are_classified(exception: Exception, kind: FailureKind) -> None:
    assert classify_exception(exception) is kind


@pytest.mark.parametrize(
    "exception",
    [
        httpx.LocalProtocolError("bad header"),
        httpx.UnsupportedProtocol("ftp"),
        httpx.ProxyError("proxy"),
        httpx.HTTPStatusError("x", request=REQUEST, response=httpx.Response(500)),
        ValueError("bug"),
        KeyboardInterrupt(),
    ],
)
def test_other_exceptions_are_not_retryable(exception: BaseException) -> None:
    assert classify_exception(exception) is None


def test_only_connect_and_pool_failures_count_as_never_sent() -> None:
    assert [kind for kind in FailureKind if not request_was_sent(kind)] == NEVER_SENT


# --- retry_decision ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "get", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_idempotent_methods_retry_retryable_statuses(method: str, status: int) -> None:
    assert retry_decision(method=method, idempotent=None, attempt=0, policy=POLICY, status=status)


@pytest.mark.parametrize("status", [200, 201, 204, 301, 400, 401, 403, 404, 405, 409, 422, 501])
def test_other_statuses_are_never_retried(status: int) -> None:
    assert not retry_decision(
        method="GET", idempotent=None, attempt=0, policy=POLICY, status=status
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_post_answered_with_an_error_is_not_retried(status: int) -> None:
    assert not retry_decision(
        method="POST", idempotent=None, attempt=0, policy=POLICY, status=status
    )


@pytest.mark.parametrize("failure", NEVER_SENT)
def test_post_never_sent_is_retried(failure: FailureKind) -> None:
    assert retry_decision(method="POST", idempotent=None, attempt=0, policy=POLICY, failure=failure)


@pytest.mark.parametrize("failure", MAYBE_SENT)
def test_post_that_may_have_arrived_is_not_retried(failure: FailureKind) -> None:
    assert not retry_decision(
        method="POST", idempotent=None, attempt=0, policy=POLICY, failure=failure
    )


@pytest.mark.parametrize("failure", NEVER_SENT + MAYBE_SENT)
def test_get_retries_every_transport_failure(failure: FailureKind) -> None:
    assert retry_decision(method="GET", idempotent=None, attempt=0, policy=POLICY, failure=failure)


def test_explicit_idempotent_overrides_the_method() -> None:
    assert retry_decision(method="POST", idempotent=True, attempt=0, policy=POLICY, status=503)
    assert not retry_decision(method="GET", idempotent=False, attempt=0, policy=POLICY, status=503)
    assert not retry_decision(
        method="GET", idempotent=False, attempt=0, policy=POLICY, failure=FailureKind.READ_ERROR
    )


def test_retries_stop_at_max_retries() -> None:
    decisions = [
        retry_decision(method="GET", idempotent=None, attempt=attempt, policy=POLICY, status=503)
        for attempt in range(5)
    ]
    assert decisions == [True, True, False, False, False]


def test_status_failure_without_status_is_not_retried() -> None:
    assert not retry_decision(
        method="GET", idempotent=None, attempt=0, policy=POLICY, failure=FailureKind.STATUS
    )
    assert not retry_decision(method="GET", idempotent=None, attempt=0, policy=POLICY)


def test_status_failure_kind_defers_to_the_status() -> None:
    assert retry_decision(
        method="GET",
        idempotent=None,
        attempt=0,
        policy=POLICY,
        status=503,
        failure=FailureKind.STATUS,
    )


# --- backoff_delay -----------------------------------------------------------------------


def test_backoff_is_full_jitter_over_an_exponential_ceiling() -> None:
    ceilings = [backoff_delay(n, POLICY, random=lambda: 1.0) for n in range(7)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_delay(3, POLICY, random=lambda: 0.0) == 0.0
    assert backoff_delay(3, POLICY, random=lambda: 0.25) == 1.0


def test_retry_after_is_honoured_without_jitter() -> None:
    assert backoff_delay(0, POLICY, retry_after=5.0, random=lambda: 0.0) == 5.0
    assert backoff_delay(0, POLICY, retry_after=0.0, random=lambda: 1.0) == 0.0


def test_retry_after_is_capped() -> None:
    assert backoff_delay(0, POLICY, retry_after=3600.0) == 60.0
    assert backoff_delay(0, RetryPolicy(retry_after_max=2.0), retry_after=3.0) == 2.0


@pytest.mark.parametrize("retry_after", [float("nan"), float("inf"), -1.0])
def test_unusable_retry_after_falls_back_to_jitter(retry_after: float) -> None:
    assert backoff_delay(1, POLICY, retry_after=retry_after, random=lambda: 1.0) == 1.0


@settings(max_examples=200, deadline=None)
@given(
    retry_number=st.integers(-5, 10**6),
    fraction=st.floats(-1, 2, allow_nan=False),
    initial=st.floats(0, 100),
    extra=st.floats(0, 100),
)
def test_backoff_stays_within_zero_and_backoff_max(
    retry_number: int, fraction: float, initial: float, extra: float
) -> None:
    policy = RetryPolicy(backoff_initial=initial, backoff_max=initial + extra)
    delay = backoff_delay(retry_number, policy, random=lambda: fraction)
    assert 0.0 <= delay <= policy.backoff_max


@settings(max_examples=100, deadline=None)
@given(retry_after=st.floats(allow_nan=True, allow_infinity=True))
def test_backoff_with_any_retry_after_stays_bounded(retry_after: float) -> None:
    delay = backoff_delay(0, POLICY, retry_after=retry_after)
    assert 0.0 <= delay <= max(POLICY.retry_after_max, POLICY.backoff_max)


# --- RetryBudget -------------------------------------------------------------------------


def test_budget_charges_more_for_timeouts() -> None:
    budget = RetryBudget()
    assert budget.try_acquire(None) == 5
    assert budget.try_acquire(FailureKind.CONNECT_ERROR) == 5
    assert budget.try_acquire(FailureKind.READ_TIMEOUT) == 10
    assert budget.available == 480


def test_budget_refuses_when_spent_and_refills_on_success() -> None:
    budget = RetryBudget(capacity=10)
    assert budget.try_acquire(None) == 5
    assert budget.try_acquire(None) == 5
    assert budget.try_acquire(None) is None
    budget.record_success()
    assert budget.available == 1
    budget.record_success(5)
    assert budget.available == 6
    assert budget.try_acquire(None) == 5


def test_budget_never_exceeds_capacity() -> None:
    budget = RetryBudget(capacity=10)
    budget.release(100)
    budget.record_success()
    assert budget.available == 10


@pytest.mark.parametrize(
    "kwargs", [{"capacity": -1}, {"retry_cost": -5}, {"timeout_retry_cost": 1.5}]
)
def test_budget_refuses_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be an int"):
        RetryBudget(**kwargs)  # type: ignore[arg-type]


def simulate_dead_server(calls: int, failure: FailureKind, budget: RetryBudget) -> int:
    """Run ``calls`` concurrent calls (interleaved) against a server that fails everything."""
    attempts = 0
    retries_made = [0] * calls
    active = list(range(calls))
    while active:  # each round, every active call makes one attempt
        still_active = []
        for call in active:
            attempts += 1
            wants_retry = retry_decision(
                method="GET",
                idempotent=None,
                attempt=retries_made[call],
                policy=POLICY,
                failure=failure,
            )
            if wants_retry and budget.try_acquire(failure) is not None:
                retries_made[call] += 1
                still_active.append(call)
        active = still_active
    return attempts


@pytest.mark.parametrize(
    ("failure", "most_retries"),
    [(FailureKind.CONNECT_ERROR, 100), (FailureKind.CONNECT_TIMEOUT, 50)],
)
def test_budget_stops_a_thousand_calls_from_tripling_load_on_a_dead_server(
    failure: FailureKind, most_retries: int
) -> None:
    budget = RetryBudget()
    attempts = simulate_dead_server(1000, failure, budget)
    assert attempts == 1000 + most_retries  # not 3,000
    assert budget.available == 0


def test_without_pressure_every_call_gets_its_retries() -> None:
    budget = RetryBudget()
    attempts = simulate_dead_server(10, FailureKind.CONNECT_ERROR, budget)
    assert attempts == 30
    assert budget.available == 500 - 20 * 5


def test_budget_repr_shows_the_level() -> None:
    assert repr(RetryBudget(capacity=7)) == "RetryBudget(available=7, capacity=7)"


def test_a_lost_reused_connection_is_resent_only_when_idempotent_and_bounded() -> None:
    from galatea_async._http._retry import (
        MAX_LOST_CONNECTION_RESENDS,
        resend_on_another_connection,
    )
    from galatea_async._http._wire import ReusedConnectionLost

    lost = ReusedConnectionLost("server disconnected")
    assert resend_on_another_connection(lost, method="GET", idempotent=None, resends=0)
    assert not resend_on_another_connection(lost, method="POST", idempotent=None, resends=0)
    assert resend_on_another_connection(lost, method="POST", idempotent=True, resends=0)
    assert not resend_on_another_connection(
        lost, method="GET", idempotent=None, resends=MAX_LOST_CONNECTION_RESENDS
    )
    other = httpx.RemoteProtocolError("server disconnected")
    assert not resend_on_another_connection(other, method="GET", idempotent=None, resends=0)
