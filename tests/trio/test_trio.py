"""The SDK under trio: listing, downloads, an upload, a cancelled batch and a sync.

Each test is a plain function that runs its journey with ``trio.run``: pytest-asyncio's auto
mode (this suite's setting) claims every ``async def`` test for asyncio. The emulator
(uvicorn, asyncio) is served from a thread of its own; the SDK runs under trio with
``GALATEA_TRANSPORT=httpx``, as the README says it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
import sniffio
import trio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from galatea_async import AsyncGalatea, DownloadRequest
from galatea_async.emulator import Emulator
from galatea_async.emulator._content import genotype_file


@attrs.define
class Served:
    emulator: Emulator
    base_url: str
    portal: BlockingPortal

    def call(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` in the emulator's own thread (its state is not thread-safe)."""

        async def run() -> Any:
            return function(*args)

        return self.portal.call(run)

    def md5_of(self, order_id: str, result_type: str) -> str:
        def blob_md5() -> str:
            state = self.emulator.state
            blob, _ = state.result_blob(state.orders[order_id], result_type, None)
            return blob.md5_hex()

        return str(self.call(blob_md5))


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    emulator = Emulator.demo(time_scale=1_000_000.0)  # validation and orders finish at once
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator.serve(port=0)) as base_url,
    ):
        monkeypatch.setenv("GALATEA_TRANSPORT", "httpx")
        yield Served(emulator, base_url, portal)


def under_trio(served: Served, journey: Callable[[AsyncGalatea], Awaitable[None]]) -> None:
    """Run ``journey(client)`` with a client on the emulator, in ``trio.run``."""

    async def main() -> None:
        assert sniffio.current_async_library() == "trio"
        async with AsyncGalatea(
            api_key=served.emulator.api_key, base_url=served.base_url
        ) as client:
            await journey(client)

    trio.run(main)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_list_download_and_download_many(served: Served, tmp_path: Path) -> None:
    async def journey(client: AsyncGalatea) -> None:
        orders = [order async for order in client.orders.list(status_group="completed")]
        assert len(orders) >= 30
        first = orders[0]
        path = await client.results.download(first.id, first.result_types[0], dest=tmp_path)
        assert _md5(path) == served.md5_of(first.id, first.result_types[0])

        items = [(order.id, order.result_types[-1]) for order in orders[1:7]]
        outcomes = await client.results.download_many(items, tmp_path / "many", concurrency=3)
        for (order_id, result_type), outcome in zip(items, outcomes, strict=True):
            assert _md5(outcome.result()) == served.md5_of(order_id, result_type)

    under_trio(served, journey)


def test_upload_then_validation(served: Served) -> None:
    async def journey(client: AsyncGalatea) -> None:
        data = genotype_file("trio").read()
        uploaded = await client.files.upload(data, filename="trio.txt")
        assert uploaded.check_sum == hashlib.md5(data).hexdigest()
        valid = await client.files.wait_until_valid(uploaded.id, timeout=5, poll_interval=0.01)
        assert valid.status == "VALID"

    under_trio(served, journey)


def test_a_cancelled_batch_leaves_only_complete_files(served: Served, tmp_path: Path) -> None:
    async def journey(client: AsyncGalatea) -> None:
        orders = [order async for order in client.orders.list(status_group="completed")]
        requests = [
            DownloadRequest(order_id=order.id, result_type=result_type)
            for order in orders[:8]
            for result_type in order.result_types
        ]
        served.call(served.emulator.faults.bandwidth, 4_000_000)
        with anyio.CancelScope() as scope:

            def progress(done: int, total: int | None) -> None:
                if done >= 2_000_000:  # a part of the batch is through, the rest in flight
                    scope.cancel()

            await client.results.download_many(requests, tmp_path, concurrency=4, progress=progress)
        assert scope.cancelled_caught
        served.call(served.emulator.faults.bandwidth, None)
        kept = list(tmp_path.iterdir())
        assert len(kept) < len(requests)
        assert not [path for path in kept if path.name.endswith(".part")], kept
        for path in kept:  # every file left is whole: its md5 is the server's for its order
            order_id = path.name.split("_")[0]
            mine = [r for r in requests if r.order_id == order_id]
            assert any(_md5(path) == served.md5_of(r.order_id, r.result_type) for r in mine), path

    under_trio(served, journey)


def test_results_sync_mirrors_then_skips(served: Served, tmp_path: Path) -> None:
    async def journey(client: AsyncGalatea) -> None:
        first = await client.results.sync(tmp_path, concurrency=4)
        assert first.ok and len(first.downloaded) >= 30
        again = await client.results.sync(tmp_path, concurrency=4)
        assert again.ok and again.downloaded == []
        assert len(again.skipped) == len(first.downloaded)

    under_trio(served, journey)
