"""A download that will be fsynced starts each block's write-back as soon as it is written.

The fsync at the end of a file then waits only for the last blocks, not for the whole file: on
a batch of many files finishing together (32 x 4 MiB at 5 MiB/s each) that wait was a tenth
of the batch's time. A download that will not be fsynced leaves its pages to the page cache.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from galatea_async import AsyncGalatea, TransferOptions
from galatea_async.emulator import Emulator
from tests.transports import make_transport

pytestmark = [
    pytest.mark.usefixtures("transport_kind"),
    pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here"),
]

SIZE = 3 * 1024 * 1024 + 17
CHUNK = 256 * 1024


@pytest.fixture
def advised(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Every ``os.posix_fadvise(fd, offset, length, advice)`` call, as (offset, length, advice)."""
    calls: list[tuple[int, int, int]] = []
    lock = threading.Lock()
    real = os.posix_fadvise

    def recording(fd: int, offset: int, length: int, advice: int) -> None:
        with lock:
            calls.append((offset, length, advice))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recording)
    return calls


async def download(
    emulator: Emulator, url: str, transport_kind: str, dest: Path, *, fsync: bool
) -> Path:
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": SIZE})
    async with AsyncGalatea(
        api_key=emulator.api_key,
        base_url=url,
        transport=make_transport(transport_kind),
        transfer_options=TransferOptions(chunk_size=CHUNK, fsync=fsync),
    ) as client:
        return await client.results.download(order_id, "SUMMARY_CHROMS", dest=dest)


async def test_each_block_of_a_durable_download_is_sent_toward_the_disk_as_written(
    emulator: Emulator,
    emulator_url: str,
    transport_kind: str,
    tmp_path: Path,
    advised: list[tuple[int, int, int]],
) -> None:
    path = await download(emulator, emulator_url, transport_kind, tmp_path, fsync=True)
    assert path.stat().st_size == SIZE
    assert {advice for _, _, advice in advised} == {os.POSIX_FADV_DONTNEED}
    ranges = sorted((offset, length) for offset, length, _ in advised)
    assert len(ranges) > 1  # block by block, not once at the end
    covered = 0
    for offset, length in ranges:
        assert offset == covered  # every byte, once, in order
        covered += length
    assert covered == SIZE


async def test_a_download_without_fsync_leaves_its_pages_to_the_page_cache(
    emulator: Emulator,
    emulator_url: str,
    transport_kind: str,
    tmp_path: Path,
    advised: list[tuple[int, int, int]],
) -> None:
    path = await download(emulator, emulator_url, transport_kind, tmp_path, fsync=False)
    assert path.stat().st_size == SIZE
    assert advised == []
