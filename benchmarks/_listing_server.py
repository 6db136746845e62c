"""Serve the emulator's order listing with added latency, from pages rendered once.

`python -m benchmarks._listing_server --port P --orders N --latency S --key-file F` writes
{"api_key", "server", "pid"} to F before serving on 127.0.0.1 (the pid lets the runner read
the server's own CPU seconds around each client run).

The emulator renders every page of `page_size` orders once, before serving; each request for
one of them then costs the server a dictionary look-up and one write after `asyncio.sleep`, so
on a 2-core machine the clients are measured, not the server's JSON encoding (the emulator
under uvicorn spent about 2 ms of CPU a page, which at 24 pages in flight queued behind each
other). Any other request (another page size, a filter, a wrong key) is answered by the
emulator itself, after the same latency.

`GET /_timeline` answers at once with what the server saw since the last such request, one
`[page, arrived, answered, connection]` per request (monotonic seconds; connections numbered
in the order they were accepted), and forgets it: how many pages a client really keeps in
flight, and how long it takes from an answer to the next request on the same connection,
seen from the server (`benchmarks/listing_timeline.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from galatea_async.emulator import Emulator

LISTING_PATH = "/api/v1/exec/orders"
TIMELINE_PATH = "/_timeline"
_MAX_TIMELINE = 100_000  # requests remembered between two reads of the timeline
# Headers the server writes itself, never copied from a rendered response.
_OWN_HEADERS = {"content-length", "connection", "transfer-encoding", "date", "server"}
_MAX_HEAD = 64 * 1024

RequestKey = tuple[str, tuple[tuple[str, str], ...], str]  # path, sorted query, authorization


def request_key(target: str, authorization: str) -> RequestKey:
    """What makes two requests the same: path, query pairs in any order, and credentials."""
    split = urlsplit(target)
    return split.path, tuple(sorted(parse_qsl(split.query))), authorization


def encode_response(response: httpx.Response) -> bytes:
    """One HTTP/1.1 response, head and body, ready for the socket."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in _OWN_HEADERS]
    lines.append(f"content-length: {len(response.content)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.content


class ListingServer:
    """Pre-rendered listing pages in front of the emulator, with the same delay on each."""

    def __init__(self, emulator: Emulator, base_url: str, latency: float) -> None:
        self.latency = latency
        self.authorization = f"Bearer {emulator.api_key}"
        self.rendered: dict[RequestKey, bytes] = {}
        self.timeline: list[tuple[int, float, float, int]] = []
        self.connections = 0
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=emulator.app), base_url=base_url
        )

    async def render(self, orders: int, page_size: int) -> None:
        """Render every page of the listing, and the page past its end (a 404)."""
        for page in range(1, math.ceil(orders / page_size) + 2):
            target = f"{LISTING_PATH}?page={page}&page_size={page_size}"
            self.rendered[request_key(target, self.authorization)] = await self.answer(
                target, {"authorization": self.authorization}
            )

    async def answer(self, target: str, headers: dict[str, str]) -> bytes:
        """The emulator's own answer to a GET of ``target``."""
        response = await self.client.get(target, headers=headers)
        return encode_response(response)

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer one connection's requests in turn (keep-alive; bodies are not expected)."""
        self.connections += 1
        connection = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                _method, target, _version = request_line.split(" ", 2)
                headers = dict(
                    (name.strip().lower(), value.strip())
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                )
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                if urlsplit(target).path == TIMELINE_PATH:
                    writer.write(self.timeline_response())
                    continue
                arrived = time.monotonic()
                await asyncio.sleep(self.latency)
                key = request_key(target, headers.get("authorization", ""))
                body = self.rendered.get(key)
                if body is None:
                    body = await self.answer(target, headers)
                writer.write(body)
                await writer.drain()
                if len(self.timeline) < _MAX_TIMELINE:
                    answered = time.monotonic()
                    self.timeline.append((_page_number(key), arrived, answered, connection))
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def timeline_response(self) -> bytes:
        body = json.dumps(self.timeline).encode()
        self.timeline = []
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
        return head.encode() + b"\r\n\r\n" + body


def _page_number(key: RequestKey) -> int:
    return next((int(value) for name, value in key[1] if name == "page" and value.isdigit()), 0)


def _emulator(orders: int) -> Emulator:
    emulator = Emulator(seed=1)
    source = emulator.add_file("bench-sample.txt")["id"]
    for _ in range(orders):
        emulator.add_order(source)
    return emulator


async def serve(args: Any) -> None:
    emulator = _emulator(args.orders)
    base_url = f"http://127.0.0.1:{args.port}"
    listing = ListingServer(emulator, base_url, args.latency)
    await listing.render(args.orders, args.page_size)
    server = await asyncio.start_server(
        listing.serve_connection, "127.0.0.1", args.port, limit=_MAX_HEAD, backlog=256
    )
    description = (
        f"the galatea_async emulator's pages ({args.orders:,} orders) rendered once, "
        f"served by an asyncio server after {args.latency * 1000:.0f} ms"
    )
    args.key_file.write_text(
        json.dumps({"api_key": emulator.api_key, "server": description, "pid": os.getpid()})
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--key-file", type=Path, required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
