"""The `sync` workload's data: a static mimic of the API that nginx serves.

The emulator makes `count` completed orders (four result types each) once; their listing pages
(as the SDK asks for them: `status_group=completed`, 100 a page) are saved as JSON files, and
each result as a small file named like the other workloads' (`{order_id}_{result_type}`), so
nginx answers the listing and the downloads with no Python on the server's side.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from benchmarks._data import blocks, file_name
from benchmarks._workloads import Workload

PAGE_SIZE = 100
PAGES = "sync-pages"
_FORMAT = 1


def order_ids(directory: Path) -> list[str]:
    """Return the order ids the saved pages list, in listing order."""
    return json.loads((directory / PAGES / "order-ids.json").read_text())


def ensure_sync_data(workload: Workload, directory: Path) -> None:
    """Write the pages and result files unless a matching manifest says they exist."""
    pages = directory / PAGES
    manifest = pages / f".manifest-{workload.count}x{workload.size}.json"
    wanted = {"format": _FORMAT, "orders": workload.count, "size": workload.size}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return
    pages.mkdir(parents=True, exist_ok=True)
    for stale in pages.glob("*.json"):
        stale.unlink()
    listed = asyncio.run(_save_pages(workload.count, pages))
    index = 0
    for order in listed:
        for entry in order["result_types"]:
            path = directory / file_name(order["id"], entry["type"])
            with open(path, "wb") as handle:
                for chunk in blocks(index, workload.size):
                    handle.write(chunk)
            os.chmod(path, 0o644)  # nginx workers may run unprivileged
            index += 1
    (pages / "order-ids.json").write_text(json.dumps([order["id"] for order in listed]))
    manifest.write_text(json.dumps(wanted))


async def _save_pages(count: int, pages: Path) -> list[dict[str, Any]]:
    import httpx

    from galatea_async.emulator import Emulator

    emulator = Emulator(seed=7)
    source = emulator.add_file("bench-sample.txt")["id"]
    for _ in range(count):
        emulator.add_order(source)
    listed: list[dict[str, Any]] = []
    transport = httpx.ASGITransport(app=emulator.app)
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://mimic") as client:
        number = 1
        while True:
            params = {"page": number, "page_size": PAGE_SIZE, "status_group": "completed"}
            answer = await client.get("/api/v1/exec/orders", params=params, headers=headers)
            if answer.status_code != 200:
                break
            body = answer.json()
            (pages / f"{number}.json").write_text(json.dumps(body))
            listed.extend(body["results"])
            if not body.get("next"):
                break
            number += 1
    for page in pages.glob("*.json"):
        os.chmod(page, 0o644)
    return listed
