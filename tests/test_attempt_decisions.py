"""The attempt loop's decisions, without a network: from an attempt state and what the attempt
met, the next step (send again, renew, retry, fail)."""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import pytest

from galatea_async._http._attempt_decisions import (
    Again,
    AttemptState,
    Fail,
    Renew,
    Retry,
    after_answer,
    after_error,
    after_redirect_refused,
    after_transport_error,
)
from galatea_async._http._calls import ApiRoot
from galatea_async._http._network import DIRECT, NetworkSettings
from galatea_async._http._proxies import ProxyRoutes
from galatea_async._http._redirects import RedirectRefused
from galatea_async._http._responses import error_for_status
from galatea_async._http._retry import MAX_LOST_CONNECTION_RESENDS, FailureKind, RetryPolicy
from galatea_async._http._wire import ReusedConnectionLost
from galatea_async.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ProxyError,
    UnexpectedRedirectError,
)

ROOT = ApiRoot.of(httpx.URL("https://api.galatea.test/api/v1/"))
POLICY = RetryPolicy(max_retries=2, backoff_initial=1.0, backoff_max=8.0, retry_after_max=30.0)
PROXIED = NetworkSettings(proxies=ProxyRoutes(explicit="http://proxy.test:3128"))
TOKEN = "access-token-value"


def state(method: str = "GET", *, follow: bool = False, **progress: Any) -> AttemptState:
    call = ROOT.call(
        method, "data/{id}", headers={}, path_params={"id": "7"}, follow_redirects=follow
    )
    return AttemptState(call, **progress)


def api_error(status: int, retry_after: str | None = None) -> APIError:
    headers = {"retry-after": retry_after} if retry_after else {}
    return error_for_status(
        status_code=status, content=b"", headers=headers, method="GET", path="/api/v1/x"
    )


def always_top() -> float:
    return 1.0


# -- after a transport error ----------------------------------------------------------------

LOST = ReusedConnectionLost("closed before the answer")


@pytest.mark.parametrize(
    ("method", "exc", "progress", "expected", "failure", "error_type"),
    [
        ("GET", LOST, {}, Again, None, None),
        ("GET", LOST, {"resends": MAX_LOST_CONNECTION_RESENDS}, Retry,
         FailureKind.REMOTE_PROTOCOL, APIConnectionError),
        ("POST", LOST, {}, Fail, None, APIConnectionError),
        ("POST", httpx.ConnectError("refused"), {}, Retry, FailureKind.CONNECT_ERROR,
         APIConnectionError),
        ("POST", httpx.ReadError("reset"), {}, Fail, None, APIConnectionError),
        ("GET", httpx.ReadTimeout("slow"), {}, Retry, FailureKind.READ_TIMEOUT, APITimeoutError),
        ("GET", httpx.ConnectError("refused"), {"retries": 2}, Fail, None, APIConnectionError),
        ("GET", httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed"), {}, Fail,
         None, APIConnectionError),
        ("GET", httpx.LocalProtocolError("bad header"), {}, Fail, None, APIConnectionError),
    ],
)  # fmt: skip
def test_after_a_transport_error(
    method: str,
    exc: httpx.TransportError,
    progress: dict[str, int],
    expected: type,
    failure: FailureKind | None,
    error_type: type | None,
) -> None:
    before = state(method, **progress)
    step = after_transport_error(before, exc, policy=POLICY, network=DIRECT, random=always_top)
    assert type(step) is expected
    if isinstance(step, Again):
        assert step.state.resends == before.resends + 1
        assert step.state.retries == before.retries
    if isinstance(step, Retry):
        assert step.failure is failure
        assert step.state.retries == before.retries + 1
        assert step.wait == POLICY.backoff_initial * 2**before.retries
    if isinstance(step, (Retry, Fail)):
        assert type(step.error) is error_type
        assert step.cause is exc


def test_a_transport_error_through_a_proxy_names_the_proxy() -> None:
    step = after_transport_error(
        state("GET", retries=2), httpx.ConnectError("refused"), policy=POLICY, network=PROXIED
    )
    assert isinstance(step, Fail) and isinstance(step.error, ProxyError)


def test_a_redirect_the_send_adapter_refused_fails_without_a_status() -> None:
    step = after_redirect_refused(state(), RedirectRefused("a redirect to a malformed URL"))
    assert isinstance(step.error, UnexpectedRedirectError)
    assert step.error.status_code is None and step.cause is None


# -- after an answer, before its body -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "location", "follow", "network", "progress", "expected"),
    [
        (407, None, False, PROXIED, {}, ProxyError),
        (407, None, False, DIRECT, {}, None),
        (302, "https://cdn.test/f", False, DIRECT, {}, None),
        (302, "https://cdn.test/f", True, DIRECT, {}, Again),
        (302, "https://cdn.test/f", True, DIRECT, {"redirects": 5}, UnexpectedRedirectError),
        (302, None, True, DIRECT, {}, UnexpectedRedirectError),
        (301, "http://cdn.test/f", True, DIRECT, {}, UnexpectedRedirectError),
        (500, None, True, DIRECT, {}, None),
        (404, None, False, DIRECT, {}, None),
    ],
)  # fmt: skip
def test_after_an_answer_before_its_body(
    status: int,
    location: str | None,
    follow: bool,
    network: NetworkSettings,
    progress: dict[str, int],
    expected: type | None,
) -> None:
    step = after_answer(
        state(follow=follow, **progress),
        status,
        location,
        api_origin=ROOT.origin,
        network=network,
    )
    if expected is None:
        assert step is None
    elif expected is Again:
        assert isinstance(step, Again)
    else:
        assert isinstance(step, Fail) and type(step.error) is expected


def test_a_followed_redirect_changes_the_call_and_counts_the_hop() -> None:
    before = state("GET", follow=True, redirects=1)
    step = after_answer(
        before, 303, "https://cdn.test/f?sig=1", api_origin=ROOT.origin, network=DIRECT
    )
    assert isinstance(step, Again)
    after = step.state
    assert (after.call.url, after.call.method) == ("https://cdn.test/f?sig=1", "GET")
    assert after.call.credentials is False
    assert after.call.log_path == before.call.log_path
    assert after.redirects == 2 and after.retries == before.retries


def test_a_redirect_back_to_the_api_origin_carries_credentials_again() -> None:
    followed = state("GET", follow=True, redirects=1)
    off_origin = attrs.evolve(followed, call=attrs.evolve(followed.call, credentials=False))
    step = after_answer(
        off_origin,
        307,
        "https://api.galatea.test/api/v1/data/x",
        api_origin=ROOT.origin,
        network=DIRECT,
    )
    assert isinstance(step, Again) and step.state.call.credentials is True


# -- after an error answer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "token", "progress", "expected"),
    [
        ("GET", 401, TOKEN, {}, Renew),
        ("POST", 401, TOKEN, {}, Renew),
        ("GET", 401, TOKEN, {"renewed": True}, Fail),
        ("GET", 401, None, {}, Fail),
        ("GET", 503, None, {}, Retry),
        ("GET", 429, None, {}, Retry),
        ("GET", 503, None, {"retries": 2}, Fail),
        ("POST", 503, None, {}, Fail),
        ("GET", 404, None, {}, Fail),
        ("GET", 400, TOKEN, {}, Fail),
    ],
)
def test_after_an_error_answer(
    method: str,
    status: int,
    token: str | None,
    progress: dict[str, int | bool],
    expected: type,
) -> None:
    before = state(method, **progress)
    error = api_error(status)
    step = after_error(before, error, renewable_token=token, policy=POLICY, random=always_top)
    assert type(step) is expected
    if isinstance(step, Renew):
        assert step.stale == token and step.state.renewed
        assert step.state.retries == before.retries
    if isinstance(step, Retry):
        assert step.failure is FailureKind.STATUS and step.error is error
        assert step.state.retries == before.retries + 1
    if isinstance(step, Fail):
        assert step.error is error


def test_a_retry_after_an_answer_waits_what_the_server_asked_up_to_the_cap() -> None:
    asked = after_error(
        state(), api_error(503, "7"), renewable_token=None, policy=POLICY, random=always_top
    )
    capped = after_error(
        state(), api_error(429, "3600"), renewable_token=None, policy=POLICY, random=always_top
    )
    assert isinstance(asked, Retry) and asked.wait == 7.0
    assert isinstance(capped, Retry) and capped.wait == POLICY.retry_after_max


def test_a_renewal_keeps_the_token_out_of_its_repr() -> None:
    step = after_error(
        state(), api_error(401), renewable_token=TOKEN, policy=POLICY, random=always_top
    )
    assert isinstance(step, Renew) and TOKEN not in repr(step)
