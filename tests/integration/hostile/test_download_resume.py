"""Hostile answers to a resumed download, and hostile file names.

A download cut mid-way is resumed with ``Range`` + ``If-Range``. A server may answer with a
range other than the one asked, or ignore ``If-Range`` and splice in another version of the
file; a file name may try to climb out of the destination. The file written is always one
whole version of the file, directly in the destination, or there is no file.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from urllib.parse import quote

import pytest

from galatea_async import TransferOptions
from tests.integration.hostile.checks import leftovers
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import new_id, serve_file
from tests.integration.hostile.server import HostileServer, Reply, Request, Script

DOWNLOAD = r"data/results/[^/]+/download"
SIZE = 300_000


def version(name: bytes) -> bytes:
    return hashlib.shake_256(name).digest(SIZE)


def cut_then(second: Script, data: bytes, etag: str = '"v1"') -> Script:
    """The first answer: ``data`` cut at a third; every later one: ``second``."""
    calls = itertools.count()
    first = serve_file(data, etag=etag, cut_first_after=SIZE // 3)

    async def script(request: Request, reply: Reply) -> None:
        await (first if next(calls) == 0 else second)(request, reply)

    return script


def partial(data: bytes, start: int, etag: str) -> Script:
    """A 206 of ``data[start:]`` whatever was asked, claiming ``etag``."""

    async def script(request: Request, reply: Reply) -> None:
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}",
        }
        await reply.send(206, data[start:], headers)

    return script


async def download(connect: Connect, dest: Path) -> Path:
    return await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)


async def test_resume_answered_from_another_offset_is_not_appended(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = version(b"one")
    server.on("GET", DOWNLOAD, cut_then(in_turn_206_then_whole(data), data))
    path = await download(connect, dest)
    assert path.read_bytes() == data
    assert leftovers(dest) == [path.name]


def in_turn_206_then_whole(data: bytes) -> Script:
    """A 206 from byte 10 (not what was asked), then the whole file."""
    calls = itertools.count()
    whole = serve_file(data)

    async def script(request: Request, reply: Reply) -> None:
        if next(calls) == 0:
            await partial(data, 10, '"v1"')(request, reply)
        else:
            await whole(request, reply)

    return script


async def test_resume_from_a_changed_file_is_never_spliced(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    old, new = version(b"old"), version(b"new")
    # The server ignores If-Range: the file changed, its ETag too, and it answers 206 anyway.
    server.on("GET", DOWNLOAD, cut_then(partial(new, SIZE // 3, '"v2"'), old))
    try:
        path = await download(connect, dest)
    except Exception:
        assert leftovers(dest) == []
        return
    assert path.read_bytes() in (old, new), "two versions spliced into one file"


async def test_parallel_parts_from_a_changed_file_are_never_spliced(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    old, new = version(b"old"), version(b"new")
    whole = serve_file(old, etag='"v1"')

    async def parts_from_another_version(request: Request, reply: Reply) -> None:
        wanted = request.headers.get("range", "")
        if not wanted:
            await whole(request, reply)
            return
        first, _, last = wanted.removeprefix("bytes=").partition("-")
        end = int(last) + 1 if last else SIZE
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": '"v2"',
            "Content-Range": f"bytes {first}-{end - 1}/{SIZE}",
        }
        await reply.send(206, new[int(first) : end], headers)

    server.on("GET", DOWNLOAD, parts_from_another_version)
    options = TransferOptions(
        chunk_size=16 << 10, parallel_threshold=64 << 10, part_size=32 << 10, fsync=False
    )
    try:
        path = await connect(transfer_options=options).results.download(
            new_id(), "SUMMARY_CHROMS", dest
        )
    except Exception:
        assert leftovers(dest) == []
        return
    assert server.count("GET", DOWNLOAD) > 1, "the file was not fetched in parts"
    assert path.read_bytes() in (old, new), "two versions spliced into one file"


@pytest.mark.parametrize(
    "name",
    [
        "../../escaped.tsv",
        "/etc/passwd",
        "..",
        "a" * 5000 + ".tsv",
        "résumé\u202e.tsv",
        "CON",
    ],
    ids=["parent-dirs", "absolute", "dot-dot", "5000-chars", "bidi-override", "windows-device"],
)
async def test_hostile_file_name_lands_inside_the_destination(
    server: HostileServer, connect: Connect, dest: Path, name: str
) -> None:
    data = version(b"named")[:1000]
    # Headers are latin-1 on the wire: other names go as RFC 6266's filename*.
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    server.on("GET", DOWNLOAD, serve_file(data, disposition=disposition))
    path = await download(connect, dest)
    assert path.parent == dest
    assert path.read_bytes() == data
    assert leftovers(dest) == [path.name]
    assert leftovers(dest.parent) == ["out"]


async def test_file_name_in_raw_non_utf8_bytes_lands_inside_the_destination(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = b"x" * 100

    async def raw_name(request: Request, reply: Reply) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
            b'Content-Disposition: attachment; filename="\xff\xfe../\xc3(.tsv"\r\n\r\n'
        )
        await reply.raw(head + data)

    server.on("GET", DOWNLOAD, raw_name)
    path = await download(connect, dest)
    assert path.parent == dest
    assert path.read_bytes() == data
    assert leftovers(dest.parent) == ["out"]
