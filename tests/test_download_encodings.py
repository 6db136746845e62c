"""Content-encoded downloads over real TCP, on both transports: decoded and verified, never past
the listed size, and refused in an encoding the SDK does not decode."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import httpx
import pytest

from galatea_async._download import download_file
from galatea_async.errors import ChecksumMismatchError, InvalidResponseError
from tests.transfer_support import FileServer, Resource, job_for, listdir, pattern, pattern_md5

MiB = 1 << 20


@pytest.mark.parametrize("size", [5000, 300_000])
async def test_an_encoded_body_of_listed_size_is_decoded_and_verified(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    url = file_server.add("/file", Resource(size=size, gzip=True))
    done = await download_file(
        job_for(http_client, url, tmp_path, expected_size=size, expected_md5=pattern_md5(size))
    )
    assert done.path.read_bytes() == pattern(0, size)


async def test_an_encoded_body_never_decodes_past_the_listed_size(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    # A gzip of 64 MiB of zeros: 64 KiB on the wire, announced as a 1,000-byte file.
    bomb = gzip.compress(bytes(64 * MiB))
    assert len(bomb) < MiB
    url = file_server.add("/file", Resource(size=64 * MiB, gzip=True, encoded_body=bomb))
    tracemalloc.start()
    try:
        with pytest.raises(ChecksumMismatchError, match="1000 bytes listed"):
            await download_file(job_for(http_client, url, tmp_path, expected_size=1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert listdir(tmp_path) == []


async def test_an_encoding_the_sdk_does_not_decode_is_refused(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    url = file_server.add("/file", Resource(size=1000, gzip=True, encoding_label="br"))
    with pytest.raises(InvalidResponseError, match="br-encoded"):
        await download_file(job_for(http_client, url, tmp_path, expected_size=1000))
    assert listdir(tmp_path) == []
