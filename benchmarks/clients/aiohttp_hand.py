"""Hand-written aiohttp: N concurrent (semaphore), 1 MiB `iter_chunked`, blocking writes.

On the sync workload: the listing read, then every result of every order fetched the same way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from benchmarks.clients import MIB, Spec, filename_from
from benchmarks.clients._completed_orders import completed_orders
from benchmarks.clients._loop_lag import ticked


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
    asyncio.run(ticked(_run(spec)))


async def _sync(spec: Spec) -> int:
    """List every completed order (page 1, then the rest at once), then fetch each result
    into dest/<order_id>/ with N at a time."""
    dest = Path(spec.dest)
    limit = asyncio.Semaphore(spec.concurrency)
    connector = aiohttp.TCPConnector(limit=spec.concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=spec.auth) as session:
        orders = await completed_orders(session, spec, limit)

        async def one(order_id: str, result_type: str) -> None:
            folder = dest / order_id
            url = f"{spec.base_url}/api/v1/data/results/{order_id}/download"
            async with limit, session.get(url, params={"result_type": result_type}) as response:
                response.raise_for_status()
                name = filename_from(response.headers.get("Content-Disposition"), result_type)
                folder.mkdir(exist_ok=True)
                with open(folder / name, "wb") as handle:
                    async for chunk in response.content.iter_chunked(MIB):
                        handle.write(chunk)

        jobs = [(o["id"], e["type"]) for o in orders for e in o["result_types"]]
        await asyncio.gather(*(one(order_id, kind) for order_id, kind in jobs))
        return len(jobs)


def sync(spec: Spec) -> int:
    return asyncio.run(ticked(_sync(spec)))
