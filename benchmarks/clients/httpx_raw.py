"""Raw httpx with its own transport: N concurrent `client.stream` + `aiter_raw`, blocking writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from benchmarks.clients import Spec, filename_from
from benchmarks.clients._loop_lag import ticked


async def _run(spec: Spec) -> None:
    dest = Path(spec.dest)
    limit = asyncio.Semaphore(spec.concurrency)
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    async with httpx.AsyncClient(
        headers=spec.auth, limits=limits, timeout=httpx.Timeout(60.0)
    ) as client:

        async def one(order_id: str) -> None:
            async with limit, client.stream("GET", spec.url(order_id)) as response:
                response.raise_for_status()
                name = filename_from(response.headers.get("content-disposition"), order_id)
                with open(dest / name, "wb") as handle:
                    async for chunk in response.aiter_raw():
                        handle.write(chunk)

        await asyncio.gather(*(one(order_id) for order_id in spec.order_ids))


def download(spec: Spec) -> None:
    asyncio.run(ticked(_run(spec)))
