"""The request path wires the pure retry decisions: what is retried, how often, how much."""

from __future__ import annotations

import anyio
import httpx
import pytest
import respx

from galatea_async import AsyncGalatea, RetryPolicy
from galatea_async.errors import APIConnectionError, APIError, ServiceUnavailableError
from tests import payloads
from tests.conftest import BASE_URL

NO_WAIT = RetryPolicy(max_retries=2, backoff_initial=0.0, backoff_max=0.0)


def make_client(router: respx.Router, policy: RetryPolicy = NO_WAIT) -> AsyncGalatea:
    return AsyncGalatea(
        api_key="k" * 20,
        base_url=BASE_URL,
        retry_policy=policy,
        transport=httpx.MockTransport(router.async_handler),
    )


async def test_a_thousand_calls_to_a_dead_server_do_not_triple_the_load(
    router: respx.Router,
) -> None:
    route = router.get("/users/me").respond(503, json={"detail": "down"})
    failures = 0

    async def call(client: AsyncGalatea) -> None:
        nonlocal failures
        try:
            await client.users.me()
        except ServiceUnavailableError:
            failures += 1

    async with make_client(router) as client, anyio.create_task_group() as group:
        for _ in range(1000):
            group.start_soon(call, client)
    assert failures == 1000
    # 1,000 first attempts plus what a budget of 500 tokens at 5 a retry allows.
    assert route.call_count <= 1100


async def test_post_is_retried_when_never_sent(router: respx.Router) -> None:
    route = router.post("/exec/tags").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json=payloads.tag())]
    )
    async with make_client(router) as client:
        tag = await client.tags.create("SANDBOX")
    assert tag.name == "SANDBOX"
    assert route.call_count == 2


async def test_post_is_not_retried_after_a_reset(router: respx.Router) -> None:
    route = router.post("/exec/tags").mock(side_effect=httpx.ReadError("connection reset"))
    async with make_client(router) as client:
        with pytest.raises(APIConnectionError):
            await client.tags.create("SANDBOX")
    assert route.call_count == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_never_retried(router: respx.Router, status: int) -> None:
    route = router.get("/users/me").respond(status, json={"detail": "no"})
    async with make_client(router) as client:
        with pytest.raises(APIError) as caught:
            await client.users.me()
    assert caught.value.status_code == status
    assert route.call_count == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_transient_statuses_on_idempotent_calls_are_retried(
    router: respx.Router, status: int
) -> None:
    route = router.put(f"/exec/tags/{payloads.TAG_ID}").mock(
        side_effect=[
            httpx.Response(status, json={"detail": "x"}),
            httpx.Response(200, json=payloads.tag()),
        ]
    )
    async with make_client(router) as client:
        await client.tags.rename(payloads.TAG_ID, "SANDBOX")
    assert route.call_count == 2


async def test_read_timeouts_on_get_are_retried(router: respx.Router) -> None:
    route = router.get("/users/me").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=payloads.user())]
    )
    async with make_client(router) as client:
        await client.users.me()
    assert route.call_count == 2
