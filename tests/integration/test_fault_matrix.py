"""The fault matrix: faults injected at the emulator over real TCP, and what the user gets.

For every fault: the outcome the caller sees, how many requests the server saw, and that
nothing was lost or duplicated (files on disk are whole, orders exist exactly once).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from galatea_async import AsyncGalatea, ResultType, RetryPolicy
from galatea_async.emulator import Emulator
from galatea_async.errors import (
    APITimeoutError,
    AuthenticationError,
    InvalidResponseError,
    OrderSubmissionUncertainError,
    RateLimitError,
    ServiceUnavailableError,
    UnexpectedRedirectError,
)
from tests.conftest import make_transport
from tests.emulator_fixtures import make_emulator

FAST_RETRIES = RetryPolicy(max_retries=2, backoff_initial=0.01, backoff_max=0.02)


def seen(emulator: Emulator, method: str, fragment: str) -> int:
    """How many requests the emulator saw whose path contains ``fragment``."""
    return sum(1 for r in emulator.requests if r.method == method and fragment in r.path)


@pytest.fixture
async def api(
    emulator: Emulator, emulator_url: str, transport_kind: str
) -> AsyncIterator[AsyncGalatea]:
    async with AsyncGalatea(
        api_key=emulator.api_key,
        base_url=emulator_url,
        retry_policy=FAST_RETRIES,
        transport=make_transport(transport_kind),
    ) as client:
        yield client


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[Emulator, str]]:
    """A second server on another port: another origin that must never see a credential."""
    other = make_emulator()
    async with other.serve() as url:
        yield other, url


@pytest.mark.parametrize(
    ("status", "retry_after"), [(503, "0"), (503, None), (429, "0"), (429, None)]
)
async def test_transient_status_on_get_is_retried(
    api: AsyncGalatea, emulator: Emulator, status: int, retry_after: str | None
) -> None:
    emulator.faults.fail_next(2, status, retry_after=retry_after, path="users/me")
    me = await api.users.me()
    assert me.email == emulator.email
    assert seen(emulator, "GET", "users/me") == 3


async def test_persistent_503_gives_up_after_max_retries(
    api: AsyncGalatea, emulator: Emulator
) -> None:
    emulator.faults.fail_next(5, 503, retry_after="0", path="users/me")
    with pytest.raises(ServiceUnavailableError) as caught:
        await api.users.me()
    assert caught.value.retry_after == 0
    assert seen(emulator, "GET", "users/me") == 3


async def test_reset_mid_body_resumes_to_a_whole_file(
    api: AsyncGalatea, emulator: Emulator, tmp_path: Path
) -> None:
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 3 << 20})
    emulator.faults.drop_after(1 << 20, path="download")
    path = await api.results.download(order_id, ResultType.SUMMARY_CHROMS, dest=tmp_path)
    assert seen(emulator, "GET", "download") == 2
    reference = await _reference_bytes(emulator, order_id, "SUMMARY_CHROMS")
    assert hashlib.md5(path.read_bytes()).hexdigest() == hashlib.md5(reference).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


async def test_drip_feed_is_cut_by_the_call_deadline(api: AsyncGalatea, emulator: Emulator) -> None:
    emulator.faults.drip(50)
    with pytest.raises(APITimeoutError, match="deadline"):
        await api.with_options(deadline=0.5, max_retries=0).users.me()


async def test_expired_tokens_mid_batch_refresh_once_and_lose_nothing(
    emulator: Emulator, emulator_url: str, transport_kind: str, tmp_path: Path
) -> None:
    orders = [emulator.add_order(result_sizes={"SUMMARY_CHROMS": 200_000}) for _ in range(6)]
    async with AsyncGalatea(
        email=emulator.email,
        password=emulator.password,
        base_url=emulator_url,
        transport=make_transport(transport_kind),
    ) as client:
        await client.users.me()
        emulator.faults.expire_tokens()
        outcomes = await client.results.download_many(
            [(o, "SUMMARY_CHROMS") for o in orders], tmp_path, concurrency=6
        )
    assert all(outcome.ok for outcome in outcomes)
    assert seen(emulator, "POST", "users/refresh") == 1
    assert seen(emulator, "POST", "users/auth") == 1


async def test_failing_refresh_falls_back_to_login(
    emulator: Emulator, emulator_url: str, transport_kind: str
) -> None:
    async with AsyncGalatea(
        email=emulator.email,
        password=emulator.password,
        base_url=emulator_url,
        transport=make_transport(transport_kind),
    ) as client:
        await client.users.me()
        emulator.faults.expire_tokens(refresh=True)
        await client.users.me()
    assert seen(emulator, "POST", "users/refresh") == 1
    assert seen(emulator, "POST", "users/auth") == 2


async def test_api_redirect_is_an_error_and_nothing_crosses(
    api: AsyncGalatea, emulator: Emulator, elsewhere: tuple[Emulator, str]
) -> None:
    other, other_url = elsewhere
    emulator.faults.redirect_next(f"{other_url}/api/v1/users/me", path="users/me")
    with pytest.raises(UnexpectedRedirectError):
        await api.users.me()
    assert other.requests == []


async def test_download_redirect_to_another_origin_carries_no_credentials(
    api: AsyncGalatea, emulator: Emulator, elsewhere: tuple[Emulator, str], tmp_path: Path
) -> None:
    other, other_url = elsewhere
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 1000})
    mirror = other.add_order(result_sizes={"SUMMARY_CHROMS": 1000})
    emulator.faults.redirect_next(
        f"{other_url}/api/v1/data/results/{mirror}/download?result_type=SUMMARY_CHROMS",
        path="download",
    )
    with pytest.raises(AuthenticationError):  # the other origin refuses the anonymous request
        await api.results.download(order_id, "SUMMARY_CHROMS", dest=tmp_path)
    assert len(other.requests) == 1 and not other.requests[0].authorized
    assert list(tmp_path.iterdir()) == []


async def test_cross_origin_next_link_is_never_followed(
    api: AsyncGalatea, emulator: Emulator, elsewhere: tuple[Emulator, str]
) -> None:
    other, other_url = elsewhere
    for n in range(25):
        emulator.add_tag(f"tag-{n:02d}")
    emulator.faults.next_page_origin(other_url)
    names = [tag.name async for tag in api.tags.list(page_size=10)]
    assert len(names) == len(set(names)) >= 25
    assert other.requests == []


async def _submit_setup(emulator: Emulator) -> str:
    return str(emulator.add_file("sample-submit.txt")["id"])


async def _orders_on(api: AsyncGalatea, file_id: str) -> list[Any]:
    return [order async for order in api.orders.list(filter=file_id)]


async def test_500_on_submit_after_creating_returns_the_one_order(
    api: AsyncGalatea, emulator: Emulator
) -> None:
    file_id = await _submit_setup(emulator)
    emulator.faults.fail_next(1, 500, path="exec/orders", method="POST", after_handling=True)
    order = await api.orders.submit(file_id, "ancestry data model one")
    orders = await _orders_on(api, file_id)
    assert [o.id for o in orders] == [order.id]
    assert seen(emulator, "POST", "exec/orders") == 1


async def test_500_on_submit_before_creating_says_the_order_may_appear(
    api: AsyncGalatea, emulator: Emulator
) -> None:
    file_id = await _submit_setup(emulator)
    emulator.faults.fail_next(1, 500, path="exec/orders", method="POST")
    with pytest.raises(OrderSubmissionUncertainError, match=f"orders.list\\(filter='{file_id}'\\)"):
        await api.orders.submit(file_id, "ancestry data model one")
    assert await _orders_on(api, file_id) == []
    assert seen(emulator, "POST", "exec/orders") == 1


async def test_timeout_after_submit_was_received_returns_the_one_order(
    api: AsyncGalatea, emulator: Emulator
) -> None:
    file_id = await _submit_setup(emulator)
    emulator.faults.stall(2.0, path="exec/orders", method="POST")
    order = await api.with_options(timeout=httpx.Timeout(0.5)).orders.submit(
        file_id, "ancestry data model one"
    )
    assert [o.id for o in await _orders_on(api, file_id)] == [order.id]
    assert seen(emulator, "POST", "exec/orders") == 1


async def test_429_on_submit_is_not_retried(api: AsyncGalatea, emulator: Emulator) -> None:
    file_id = await _submit_setup(emulator)
    emulator.faults.fail_next(1, 429, retry_after="0", path="exec/orders", method="POST")
    with pytest.raises(RateLimitError):
        await api.orders.submit(file_id, "ancestry data model one")
    assert seen(emulator, "POST", "exec/orders") == 1
    assert await _orders_on(api, file_id) == []


@pytest.mark.parametrize("knob", ["html_next", "truncate_json_next"])
async def test_unusable_json_is_a_clear_error(
    api: AsyncGalatea, emulator: Emulator, knob: str
) -> None:
    getattr(emulator.faults, knob)(1, path="users/me")
    with pytest.raises(InvalidResponseError) as caught:
        await api.users.me()
    assert caught.value.status_code == 200


async def _reference_bytes(emulator: Emulator, order_id: str, result_type: str) -> bytes:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://testserver/api/v1/"
    ) as raw:
        response = await raw.get(
            f"data/results/{order_id}/download",
            params={"result_type": result_type},
            headers={"Authorization": f"Bearer {emulator.api_key}"},
        )
        response.raise_for_status()
        return response.content
