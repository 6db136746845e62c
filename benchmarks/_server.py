"""A small Starlette server for the cases nginx cannot play: throttled links and order listing.

Serves `GET /api/v1/data/results/{order_id}/download?result_type=X` from the data directory
(with single-range `Range` support and a Content-Disposition name, like nginx's config) and
`GET /api/v1/exec/orders?page=&page_size=` from synthetic orders. `--latency` delays every
response; `--bandwidth` caps each response's rate, so each connection is capped as on a slow
remote link. Run: `python -m benchmarks._server --port P --data DIR [--latency S] [--bandwidth B]`.
Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

_CHUNK = 1024 * 1024
_NAME = re.compile(r"^[0-9a-f-]{36}_[A-Z_]+$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the (start, end exclusive) of a single-range header, or None to send it all."""
    match = _RANGE.match(header or "")
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:
        return max(0, size - int(match[2])), size
    start = int(match[1])
    end = min(size, int(match[2]) + 1) if match[2] else size
    return start, end


async def _paced(path: Path, start: int, end: int, bandwidth: int | None) -> AsyncIterator[bytes]:
    # Pace against the start time rather than sleeping per chunk, so timer slack does not
    # accumulate: after n bytes the response is never ahead of n / bandwidth seconds.
    chunk = _CHUNK if bandwidth is None else max(16 * 1024, bandwidth // 20)
    began = time.monotonic()
    sent = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        offset = start
        while offset < end:
            data = os.pread(fd, min(chunk, end - offset), offset)
            if not data:
                break
            offset += len(data)
            if bandwidth is not None:
                due = began + (sent + len(data)) / bandwidth
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent += len(data)
            yield data
    finally:
        os.close(fd)


def _order(index: int) -> dict[str, Any]:
    order_id = str(uuid.UUID(int=index + 1))
    return {
        "id": order_id,
        "status": "Completed",
        "src_file_id": str(uuid.UUID(int=10**9 + index)),
        "src_file_short_path": f"bench/sample-{index}.gvcf.gz",
        "src_file_name": f"sample-{index}.gvcf.gz",
        "started_at": "2025-07-14T09:06:26.146529Z",
        "amount_of_samples": 1,
        "execution_time": 96.5,
        "submitted_by": "bench@example.com",
        "model": "ancestry model",
        "type": "WGS",
        "org_name": "Bench",
        "tags": [],
        "result_types": [{"type": "SUMMARY_CHROMS", "label": "Summary chroms"}],
        "can_request_pdf": False,
    }


def build_app(data: Path, *, latency: float, bandwidth: int | None, orders: int) -> Starlette:
    """Return the ASGI app serving `data` with the given latency and per-response cap."""

    async def download(request: Request) -> Response:
        name = f"{request.path_params['order_id']}_{request.query_params.get('result_type', '')}"
        if latency:
            await asyncio.sleep(latency)
        path = data / name
        if not _NAME.match(name) or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        size = path.stat().st_size
        span = parse_range(request.headers.get("range"), size)
        start, end = span or (0, size)
        headers = {
            "Content-Length": str(end - start),
            "Content-Disposition": f'attachment; filename="{name}.tsv"',
            "Accept-Ranges": "bytes",
        }
        status = 200
        if span is not None:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        return StreamingResponse(
            _paced(path, start, end, bandwidth),
            status_code=status,
            headers=headers,
            media_type="application/octet-stream",
        )

    async def list_orders(request: Request) -> Response:
        if latency:
            await asyncio.sleep(latency)
        page = int(request.query_params.get("page", "1"))
        page_size = int(request.query_params.get("page_size", "10"))
        first = (page - 1) * page_size
        results = [_order(i) for i in range(first, min(orders, first + page_size))]
        base = str(request.url.remove_query_params("page"))
        more = first + page_size < orders
        sep = "&" if "?" in base else "?"
        return JSONResponse(
            {
                "count": orders,
                "next": f"{base}{sep}page={page + 1}" if more else None,
                "previous": f"{base}{sep}page={page - 1}" if page > 1 else None,
                "results": results,
            }
        )

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/v1/data/results/{order_id}/download", download),
            Route("/api/v1/exec/orders", list_orders),
            Route("/healthz", health),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--bandwidth", type=int, default=None)
    parser.add_argument("--orders", type=int, default=0)
    args = parser.parse_args()
    app = build_app(args.data, latency=args.latency, bandwidth=args.bandwidth, orders=args.orders)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
