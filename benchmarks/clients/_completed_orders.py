"""The sync workload's listing, as the hand-written clients read it: page 1, then the rest at
once, each request under the client's own concurrency limit."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from benchmarks.clients import Spec


async def completed_orders(
    session: aiohttp.ClientSession, spec: Spec, limit: asyncio.Semaphore
) -> list[dict[str, Any]]:
    """Every completed order the listing gives, in listing order."""
    listing = f"{spec.base_url}/api/v1/exec/orders"

    async def page(number: int) -> dict[str, Any]:
        query = {"page": number, "page_size": spec.page_size, "status_group": "completed"}
        async with limit, session.get(listing, params=query) as response:
            response.raise_for_status()
            body: dict[str, Any] = await response.json()
            return body

    first = await page(1)
    pages = -(-first["count"] // spec.page_size)
    rest = await asyncio.gather(*(page(n) for n in range(2, pages + 1)))
    return [order for body in (first, *rest) for order in body["results"]]
