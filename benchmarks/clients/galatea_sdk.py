"""galatea_async's public API: `client.results.download_many(...)` and `client.orders.list()`.

As `galatea_async_nofsync`, the same with `TransferOptions(fsync=False)`: page-cache speed,
for comparison with clients that never sync. On the sync workload, `client.results.sync(dest)`;
as `galatea_async_rerun`, a second sync of the same folder with nothing left to do.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.clients import Spec, Unavailable
from benchmarks.clients._loop_lag import ticking


def _client_class() -> Any:
    try:
        from galatea_async import AsyncGalatea
    except ImportError:
        # Before the package re-exports it, the class is still where it is defined.
        try:
            from galatea_async._client import AsyncGalatea
        except ImportError as exc:
            raise Unavailable("no AsyncGalatea") from exc
    return AsyncGalatea


def prepare(spec: Spec) -> None:
    if spec.client == "galatea_async_rerun":
        # The timed run is the second one, with nothing left to do.
        asyncio.run(_sync(spec))
        return
    asyncio.run(_check(spec))


async def _check(spec: Spec) -> None:
    # Built on a running loop, as the timed run builds it: what the first client on a loop
    # imports (anyio's asyncio backend, about 30 ms) is imported here, not timed.
    client = _client_class()(api_key=spec.api_key, base_url=spec.base_url)
    needed = {
        "download": ("results", "download_many"),
        "sync": ("results", "sync"),
        "list": ("orders", "list"),
    }[spec.mode]
    resource = getattr(client, needed[0], None)
    await client.aclose()
    if resource is None or not hasattr(resource, needed[1]):
        raise Unavailable(f"no client.{needed[0]}.{needed[1]}")


def _options(spec: Spec) -> dict[str, Any]:
    if spec.client != "galatea_async_nofsync":
        return {}
    from galatea_async import TransferOptions

    return {"transfer_options": TransferOptions(fsync=False)}


async def _download(spec: Spec) -> None:
    options = _options(spec)
    async with (
        _client_class()(api_key=spec.api_key, base_url=spec.base_url, **options) as client,
        ticking(),
    ):
        items = [(order_id, spec.result_type) for order_id in spec.order_ids]
        outcomes = await client.results.download_many(
            items, spec.dest.rstrip("/") + "/", concurrency=spec.concurrency
        )
    failed = [outcome for outcome in outcomes if getattr(outcome, "error", None) is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(outcomes)} failed; first: {failed[0].error!r}")


async def _sync(spec: Spec) -> int:
    options = _options(spec)
    async with (
        _client_class()(api_key=spec.api_key, base_url=spec.base_url, **options) as client,
        ticking(),
    ):
        report = await client.results.sync(spec.dest, concurrency=spec.concurrency)
    if report.failed:
        first = report.failed[0].error
        raise RuntimeError(f"{len(report.failed)} failed; first: {first!r}")
    return len(report.downloaded) + len(report.skipped)


async def _list(spec: Spec) -> int:
    seen = 0
    async with _client_class()(api_key=spec.api_key, base_url=spec.base_url) as client:
        async for _order in client.orders.list(page_size=spec.page_size):
            seen += 1
    return seen


def download(spec: Spec) -> None:
    asyncio.run(_download(spec))


def sync(spec: Spec) -> int:
    return asyncio.run(_sync(spec))


def list_orders(spec: Spec) -> int:
    return asyncio.run(_list(spec))
