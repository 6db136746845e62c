"""Scripts for the sync and batch cases: orders listed, and each result served by its own name."""

from __future__ import annotations

import asyncio
import hashlib
import re
import urllib.parse
from collections.abc import Iterable

import attrs

from tests.integration.hostile.scripts import order, page, pdf_report
from tests.integration.hostile.server import HostileServer, Reply, Request

__all__ = ["DOWNLOADS", "ORDERS", "Result", "serve_orders", "serve_results"]

ORDERS = "exec/orders"
DOWNLOADS = r"data/results/[^/]+/download"
_DOWNLOAD = re.compile(r"data/results/(?P<order>[^/]+)/download")


@attrs.frozen
class Result:
    """One result file: its order, type, the name the server gives it and its bytes."""

    order_id: str
    result_type: str
    name: str
    data: bytes
    report_id: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()


def serve_orders(server: HostileServer, results: Iterable[Result], *ids: str) -> None:
    """List the orders ``ids`` (default: those of ``results``) with their results' types, and
    their PDF reports."""
    results = list(results)
    wanted = list(ids) or list(dict.fromkeys(r.order_id for r in results))
    orders = []
    for order_id in wanted:
        types = list(dict.fromkeys(r.result_type for r in results if r.order_id == order_id))
        listed = [{"type": t, "label": t} for t in types]
        orders.append(order(order_id, result_types=listed))

    async def listing(request: Request, reply: Reply) -> None:
        await reply.json(page(orders))

    async def reports(request: Request, reply: Reply) -> None:
        order_id = urllib.parse.unquote(request.path.rstrip("/").split("/")[-2])
        found = [
            pdf_report(r.report_id, r.order_id, r.data, pdf_file_name=r.name)
            for r in results
            if r.order_id == order_id and r.report_id is not None
        ]
        await reply.json(page(found))

    server.on("GET", ORDERS, listing)
    server.on("GET", r"data/results/[^/]+/pdf_report", reports)


def serve_results(
    server: HostileServer,
    results: Iterable[Result],
    *,
    hold: dict[tuple[str, str], asyncio.Event] | None = None,
    answered: dict[tuple[str, str], asyncio.Event] | None = None,
) -> None:
    """Serve each result under its own name (``filename*``, UTF-8). ``hold[(order, type)]``
    keeps that answer back until the event is set; ``answered[(order, type)]`` is set once
    that answer is sent."""
    by_key: dict[tuple[str, str], Result] = {}
    for result in results:
        by_key[(result.order_id, result.report_id or result.result_type)] = result

    async def script(request: Request, reply: Reply) -> None:
        match = _DOWNLOAD.fullmatch(request.path.split("/api/v1/", 1)[-1].strip("/"))
        assert match is not None
        key = (
            urllib.parse.unquote(match["order"]),
            request.query.get("pdf_request_id") or request.query["result_type"],
        )
        result = by_key.get(key)
        if result is None:
            await reply.json({"detail": "Not found."}, status=404)
            return
        if hold is not None and key in hold:
            await hold[key].wait()
        quoted = urllib.parse.quote(result.name, safe="")
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
        }
        await reply.send(200, result.data, headers)
        if answered is not None and key in answered:
            answered[key].set()

    server.on("GET", DOWNLOADS, script)
