"""What large downloads hold in memory: one block a connection, plus what the transport buffers.

Four connections bring 64 MiB from a server in another process (its allocations are not the
client's); the Python memory the client traces meanwhile stays under ``held_bytes_bound``, the
explicit sum of what each connection may hold. Blocks of 4 MiB make the block the bulk of it:
a block kept alive while the next is gathered adds a block a connection and breaks the bound
(17-20 MiB held against 21 + 2 allowed; 28-32 MiB when the engine keeps its last block).
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from galatea_async import AsyncGalatea, TransferOptions
from galatea_async._download import _blocks
from galatea_async._download._blocks import held_bytes_bound
from tests.transports import make_transport

pytestmark = pytest.mark.usefixtures("transport_kind")

SIZE = 16 << 20
CONNECTIONS = 4
CHUNK = 4 << 20
# The batch's own objects beside the bodies (requests, outcomes, paths, log records).
BESIDE_THE_BODIES = 2 << 20


@pytest.fixture(scope="module")
def bulk_server() -> Iterator[str]:
    """The base URL of ``bulk_body_server.py`` serving ``SIZE`` bytes a download."""
    script = Path(__file__).with_name("bulk_body_server.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(SIZE)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_four_large_downloads_hold_no_more_than_a_block_and_a_buffer_each(
    bulk_server: str, transport_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every block is a whole chunk (none handed out early for its age), so each connection
    # holds its most all the time, and a block held twice shows whatever the timing.
    monkeypatch.setattr(_blocks, "_MAX_BLOCK_AGE", float("inf"))
    orders = [str(uuid.uuid4()) for _ in range(CONNECTIONS)]
    async with AsyncGalatea(
        api_key="bulk-key",
        base_url=bulk_server,
        transport=make_transport(transport_kind),
        transfer_options=TransferOptions(chunk_size=CHUNK, fsync=False),
    ) as client:
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            outcomes = await client.results.download_many(
                [(order, "SUMMARY_CHROMS") for order in orders], tmp_path, concurrency=CONNECTIONS
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert all(outcome.error is None for outcome in outcomes)
    assert sorted(path.stat().st_size for path in tmp_path.iterdir()) == [SIZE] * CONNECTIONS
    held = peak - start
    bound = held_bytes_bound(CHUNK, CONNECTIONS) + BESIDE_THE_BODIES
    assert held <= bound, f"{held / 2**20:.1f} MiB held at the peak, over {bound / 2**20:.1f}"


def test_the_bound_is_a_block_and_the_transports_buffers_for_each_connection() -> None:
    one = held_bytes_bound(1 << 20, 1, read_size=256 << 10)
    # A block and one read past it; twice a read buffered, the socket read over that; a read.
    assert one == (1 << 20) - 1 + 5 * (256 << 10)
    assert held_bytes_bound(1 << 20, 8, read_size=256 << 10) == 8 * one
    assert held_bytes_bound(2 << 20, 1, read_size=256 << 10) == one + (1 << 20)
