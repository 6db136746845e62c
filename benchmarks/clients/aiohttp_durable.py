"""Hand-written aiohttp, as durable as galatea_async: each body read whole, then written,
fsynced and renamed into place in a worker thread (`asyncio.to_thread`), and every directory
fsynced once at the end. The loop a careful user would write in 30 lines."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from benchmarks.clients import Spec, filename_from
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
