"""Hand-written aiohttp, as durable as galatea_async: each body read whole, then written,
fsynced and renamed into place in a worker thread (`asyncio.to_thread`), and every directory
fsynced once at the end. The loop a careful user would write in 30 lines."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from benchmarks.clients import Spec, filename_from
from benchmarks.clients._completed_orders import completed_orders
from benchmarks.clients._loop_lag import ticked


def _write_durably(directory: Path, name: str, body: bytes) -> None:
    temporary = directory / f".{name}.part"
    with open(temporary, "wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / name)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def _run(spec: Spec) -> None:
    dest = Path(spec.dest)
    limit = asyncio.Semaphore(spec.concurrency)
    connector = aiohttp.TCPConnector(limit=spec.concurrency)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(
        connector=connector, headers=spec.auth, timeout=timeout
    ) as session:

        async def one(order_id: str) -> None:
            async with limit:
                async with session.get(spec.url(order_id)) as response:
                    response.raise_for_status()
                    name = filename_from(response.headers.get("Content-Disposition"), order_id)
                    body = await response.read()
                await asyncio.to_thread(_write_durably, dest, name, body)

        await asyncio.gather(*(one(order_id) for order_id in spec.order_ids))
    await asyncio.to_thread(_fsync_directory, dest)


def download(spec: Spec) -> None:
    asyncio.run(ticked(_run(spec)))


async def _sync(spec: Spec) -> int:
    """List every completed order (page 1, then the rest at once), then fetch each result
    into dest/<order_id>/ as above; every folder fsynced once at the end."""
    dest = Path(spec.dest)
    limit = asyncio.Semaphore(spec.concurrency)
    connector = aiohttp.TCPConnector(limit=spec.concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=spec.auth) as session:
        orders = await completed_orders(session, spec, limit)
        folders = [dest / order["id"] for order in orders]

        async def one(folder: Path, result_type: str) -> None:
            url = f"{spec.base_url}/api/v1/data/results/{folder.name}/download"
            async with limit:
                async with session.get(url, params={"result_type": result_type}) as response:
                    response.raise_for_status()
                    name = filename_from(response.headers.get("Content-Disposition"), result_type)
                    body = await response.read()
                await asyncio.to_thread(folder.mkdir, exist_ok=True)
                await asyncio.to_thread(_write_durably, folder, name, body)

        jobs = [(dest / o["id"], e["type"]) for o in orders for e in o["result_types"]]
        await asyncio.gather(*(one(folder, kind) for folder, kind in jobs))
    await asyncio.to_thread(lambda: [_fsync_directory(f) for f in [dest, *folders]])
    return len(jobs)


def sync(spec: Spec) -> int:
    return asyncio.run(ticked(_sync(spec)))
