"""Galatea JSON shapes and ready-made scripts for the hostile server.

The shapes follow ``/work/shared/galatea-api-reference.txt`` (pages are
``{count, next, previous, results}``; ``users/me`` carries ``org``; PDF reports and source
files list ``file_size_bytes`` and an md5 ``check_sum``). The scripts are small factories:
``answer(...)`` for a fixed answer, ``in_turn(...)`` for the n-th request, ``serve_file(...)``
for a download with ranges and faults.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import uuid
from typing import Any

from tests.integration.hostile.server import Reply, Request, Script

__all__ = [
    "ORG_ID",
    "answer",
    "drip",
    "in_turn",
    "jwt",
    "me",
    "new_id",
    "order",
    "page",
    "pdf_report",
    "redirect",
    "serve_file",
    "source_file",
]

ORG_ID = "12332112-3321-2233-1122-123432345648"
_ids = itertools.count(1)


def new_id() -> str:
    """A fresh UUID (deterministic within a run, distinct across calls)."""
    return str(uuid.UUID(int=(0xABCD << 96) + next(_ids)))


def order(order_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """An order as ``exec/orders`` lists it."""
    return {
        "id": order_id or new_id(),
        "status": "Completed",
        "src_file_id": "9085d0d2-3333-1111-2222-4114602c2444",
        "src_file_name": "filename.gvcf.gz",
        "started_at": "2025-07-14T09:06:26.146529Z",
        "amount_of_samples": 1,
        "model": "ancestry data model one",
        "type": "WGS",
        "tags": [],
        "result_types": [{"type": "SUMMARY_CHROMS", "label": "Summary chromosomes"}],
        **fields,
    }


def page(
    results: Any, *, count: Any = "len", next_url: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A listing page; ``count`` defaults to the number of results (``None`` sends null)."""
    return {
        "count": len(results) if count == "len" else count,
        "next": next_url,
        "previous": None,
        "results": results,
        **extra,
    }


def me(**fields: Any) -> dict[str, Any]:
    """``users/me``: the caller and the organization."""
    return {
        "id": "11111111-1111-1111-1111-111111111111",
        "email": "someone@example.com",
        "role": "OrgUser",
        "is_active": True,
        "org": {
            "id": ORG_ID,
            "name": "Organization name",
            "available_models": ["prs clinical model", "ancestry data model one"],
            "webhooks_enabled": False,
        },
        **fields,
    }


def pdf_report(report_id: str, order_id: str, data: bytes, **fields: Any) -> dict[str, Any]:
    """A PDF report as ``data/results/{id}/pdf_report`` lists it, for the file ``data``."""
    return {
        "id": report_id,
        "status": "COMPLETED",
        "order_id": order_id,
        "report_type": "PRS_RUO_CARDIO",
        "pdf_file_name": f"{report_id}_prs-ruo-cardio.pdf",
        "file_size_bytes": len(data),
        "check_sum": hashlib.md5(data).hexdigest(),
        **fields,
    }


def source_file(file_id: str, data: bytes, **fields: Any) -> dict[str, Any]:
    """A source file as ``data/files`` lists it, for the file ``data``."""
    return {
        "id": file_id,
        "status": "VALID",
        "src_file_name": "sample.txt.zip",
        "file_size_bytes": len(data),
        "check_sum": hashlib.md5(data).hexdigest(),
        "acceptable": True,
        **fields,
    }


def jwt(**claims: Any) -> str:
    """An unsigned JWT with these claims (the SDK reads ``exp``/``iat``, never verifies)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def answer(value: Any = b"", status: int = 200, headers: dict[str, str] | None = None) -> Script:
    """Always the same answer: JSON for a value, the bytes as they are for ``bytes``."""

    async def script(request: Request, reply: Reply) -> None:
        if isinstance(value, bytes):
            await reply.send(status, value, headers)
        else:
            await reply.json(value, status, headers)

    return script


def in_turn(*scripts: Script) -> Script:
    """The n-th request gets the n-th script; the last one answers every request after."""
    calls = itertools.count()

    async def script(request: Request, reply: Reply) -> None:
        await scripts[min(next(calls), len(scripts) - 1)](request, reply)

    return script


def redirect(location: str, status: int = 302) -> Script:
    async def script(request: Request, reply: Reply) -> None:
        await reply.send(status, b"", {"Location": location})

    return script


def drip(data: bytes, *, piece: int, interval: float, headers: dict[str, str]) -> Script:
    """``data`` with an honest Content-Length, ``piece`` bytes every ``interval`` seconds,
    resuming from a ``Range`` when asked (ETag ``"drip"``)."""

    async def script(request: Request, reply: Reply) -> None:
        start = _range_start(request, '"drip"')
        status, extra = 200, {}
        if start:
            status = 206
            extra = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        body_headers = {
            **headers,
            **extra,
            "ETag": '"drip"',
            "Accept-Ranges": "bytes",
        }
        await reply.send(status, b"", body_headers, length=len(data) - start)
        for offset in range(start, len(data), piece):
            await reply.raw(data[offset : offset + piece])
            await asyncio.sleep(interval)

    return script


def _range_start(request: Request, etag: str) -> int:
    wanted = request.headers.get("range", "")
    if_range = request.headers.get("if-range")
    if not wanted.startswith("bytes=") or (if_range is not None and if_range != etag):
        return 0
    return int(wanted.removeprefix("bytes=").split("-", 1)[0])


def serve_file(
    data: bytes,
    *,
    body: bytes | None = None,
    encoding: str | None = None,
    content_type: str = "application/octet-stream",
    filename: str = "result.tsv",
    disposition: str | None = None,
    ranges: bool = True,
    etag: str = '"v1"',
    length: int | str | None = "auto",
    cut_first_after: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> Script:
    """A download of ``data``: ranges honoured (``If-Range`` on ``etag``) when ``ranges``.

    ``disposition`` replaces the Content-Disposition naming ``filename``. ``body`` replaces
    what is sent (an encoded form, a bomb) under ``Content-Encoding:
    encoding``; ``length`` as in ``Reply.send``; ``cut_first_after`` cuts the first answer
    after that many body bytes.
    """
    calls = itertools.count()

    async def script(request: Request, reply: Reply) -> None:
        first = next(calls) == 0
        headers = {
            "Content-Type": content_type,
            "Content-Disposition": disposition or f'attachment; filename="{filename}"',
            **(extra_headers or {}),
        }
        if ranges:
            headers.update({"Accept-Ranges": "bytes", "ETag": etag})
        start = _range_start(request, etag) if ranges and body is None else 0
        status = 200
        payload = data if body is None else body
        if start:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            payload = data[start:]
        if encoding is not None:
            headers["Content-Encoding"] = encoding
        if first and cut_first_after is not None:
            await reply.send(status, payload[:cut_first_after], headers, length=len(payload))
            reply.cut()
            return
        await reply.send(status, payload, headers, length=length)

    return script
