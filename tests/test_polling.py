"""Polling waits: the pure schedule, and ``files.wait_until_valid``/``orders.wait`` following it
against the emulator (its clock moved by each sleep, so nothing really sleeps)."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

import galatea_async._polling as polling
from galatea_async import AsyncGalatea, FileStatus, OrderStatus, RetryPolicy
from galatea_async._polling import check_poll_interval, poll_delay
from galatea_async.emulator import Emulator
from galatea_async.errors import WaitTimeoutError
from tests import payloads
from tests.conftest import API_KEY, BASE_URL
from tests.emulator_fixtures import make_emulator
from tests.payloads import FILE_ID, ORDER_ID


def test_the_delay_starts_near_one_second_and_doubles_up_to_the_interval() -> None:
    delays = [poll_delay(polls, 15.0, jitter=0.5) for polls in range(1, 8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]


@pytest.mark.parametrize("jitter", [0.0, 0.999])
def test_jitter_spreads_a_delay_by_at_most_a_quarter_and_never_past_the_interval(
    jitter: float,
) -> None:
    for polls, backoff in ((1, 1.0), (2, 2.0), (3, 4.0)):
        delay = poll_delay(polls, 5.0, jitter=jitter)
        assert backoff * 0.75 <= delay <= min(5.0, backoff * 1.25)
    assert poll_delay(10, 5.0, jitter=jitter) == 5.0


def test_an_interval_below_a_second_is_kept_from_the_start() -> None:
    assert [poll_delay(polls, 0.2, jitter=0.9) for polls in (1, 2, 3)] == [0.2, 0.2, 0.2]


def test_retry_after_is_never_cut_short_and_a_shorter_one_changes_nothing() -> None:
    assert poll_delay(1, 15.0, jitter=0.5, retry_after=40.0) == 40.0
    assert poll_delay(6, 15.0, jitter=0.5, retry_after=3.0) == 15.0
    assert poll_delay(1, 15.0, jitter=0.5, retry_after=float("nan")) == 1.0


def test_a_very_long_wait_does_not_overflow() -> None:
    assert poll_delay(10**9, 30.0, jitter=0.5) == 30.0


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), True, "10"])
def test_a_poll_interval_must_be_a_positive_finite_number(bad: Any) -> None:
    with pytest.raises(ValueError, match="poll_interval must be a positive number"):
        check_poll_interval(bad)


class SleepsMoveTheClock:
    """Stands in for anyio in ``_polling``: each sleep is recorded and moves the emulator's
    clock instead of the wall clock's."""

    def __init__(self, emulator: Emulator | None = None) -> None:
        self.emulator = emulator
        self.delays: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if self.emulator is not None:
            self.emulator.clock.advance(delay)


@pytest.fixture
def emulator() -> Emulator:
    return make_emulator(validation_seconds=2.0, order_stage_seconds=1.0)


@pytest.fixture
async def emulator_client(emulator: Emulator) -> AsyncIterator[AsyncGalatea]:
    async with (
        emulator.serve() as base_url,
        AsyncGalatea(emulator.api_key, base_url=base_url) as client,
    ):
        yield client


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> SleepsMoveTheClock:
    recorder = SleepsMoveTheClock(emulator)
    monkeypatch.setattr(polling, "anyio", types.SimpleNamespace(sleep=recorder.sleep))
    return recorder


async def test_a_two_second_validation_is_seen_within_about_three_seconds(
    emulator: Emulator, emulator_client: AsyncGalatea, sleeps: SleepsMoveTheClock
) -> None:
    file_id = emulator.add_file("quick.txt", status=None)["id"]
    done = await emulator_client.files.wait_until_valid(file_id)
    assert done.status == FileStatus.VALID
    assert sum(sleeps.delays) <= 2.0 * 1.25 + 1.25  # 1 s, then 2 s: not the old 10 s
    assert len(sleeps.delays) == 2


async def test_an_order_is_followed_from_one_second_up_to_the_poll_interval(
    emulator: Emulator, emulator_client: AsyncGalatea, sleeps: SleepsMoveTheClock
) -> None:
    file_id = emulator.add_file("order.txt")["id"]
    order_id = emulator.add_order(file_id, status=OrderStatus.REGISTERED)
    emulator.clock.advance(0.0)
    done = await emulator_client.orders.wait(order_id, poll_interval=4.0, timeout=3600)
    assert done.is_final
    assert 0.75 <= sleeps.delays[0] <= 1.25
    assert all(delay <= 4.0 for delay in sleeps.delays)


@pytest.fixture
async def unretried(
    router: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[AsyncGalatea, SleepsMoveTheClock]]:
    """A client on ``router`` whose own retries are off (so a busy answer reaches the wait),
    and the sleeps of its waits, recorded instead of slept."""
    recorder = SleepsMoveTheClock()
    monkeypatch.setattr(polling, "anyio", types.SimpleNamespace(sleep=recorder.sleep))
    async with AsyncGalatea(
        API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        retry_policy=RetryPolicy(max_retries=0),
    ) as client:
        yield client, recorder


async def test_a_busy_answer_to_a_poll_is_waited_out_as_its_retry_after_asks(
    router: respx.Router, unretried: tuple[AsyncGalatea, SleepsMoveTheClock]
) -> None:
    client, recorder = unretried
    router.get("/exec/orders").mock(
        side_effect=[
            httpx.Response(200, json=payloads.page([payloads.order(status="Running")])),
            httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "30"}),
            httpx.Response(200, json=payloads.page([payloads.order(status="Completed")])),
        ]
    )
    order = await client.orders.wait(ORDER_ID)
    assert order.status == OrderStatus.COMPLETED
    assert recorder.delays[1] == 30.0


async def test_the_overall_timeout_still_ends_the_wait(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/data/files").respond(json=payloads.page([payloads.source_file(status="PENDING")]))
    with pytest.raises(WaitTimeoutError, match=FILE_ID):
        await client.files.wait_until_valid(FILE_ID, timeout=0.05, poll_interval=0.01)


async def test_a_poll_answered_503_is_retried_by_the_file_wait_too(
    router: respx.Router, unretried: tuple[AsyncGalatea, SleepsMoveTheClock]
) -> None:
    client, recorder = unretried
    router.get("/data/files").mock(
        side_effect=[
            httpx.Response(503, json={"detail": "maintenance"}, headers={"Retry-After": "12"}),
            httpx.Response(200, json=payloads.page([payloads.source_file(status="VALID")])),
        ]
    )
    done = await client.files.wait_until_valid(FILE_ID)
    assert done.status == FileStatus.VALID
    assert recorder.delays == [12.0]


@pytest.mark.parametrize("bad", [0, -5.0, float("nan")])
async def test_a_bad_poll_interval_is_refused_before_any_request(
    client: AsyncGalatea, router: respx.Router, bad: float
) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        await client.orders.wait(ORDER_ID, poll_interval=bad)
    with pytest.raises(ValueError, match="poll_interval"):
        await client.files.wait_until_valid(FILE_ID, poll_interval=bad)
    assert not router.calls
