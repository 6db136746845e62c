"""Hand-written aiohttp: N concurrent (semaphore), 1 MiB `iter_chunked`, blocking writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from benchmarks.clients import MIB, Spec, filename_from


async def _run(spec: Spec) -> None:
    dest = Path(spec.dest)
    limit = asyncio.Semaphore(spec.concurrency)
    connector = aiohttp.TCPConnector(limit=spec.concurrency)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(
        connector=connector, headers=spec.auth, timeout=timeout
    ) as session:

        async def one(order_id: str) -> None:
            async with limit, session.get(spec.url(order_id)) as response:
                response.raise_for_status()
                name = filename_from(response.headers.get("Content-Disposition"), order_id)
                with open(dest / name, "wb") as handle:
                    async for chunk in response.content.iter_chunked(MIB):
                        handle.write(chunk)

        await asyncio.gather(*(one(order_id) for order_id in spec.order_ids))


def download(spec: Spec) -> None:
    asyncio.run(_run(spec))
