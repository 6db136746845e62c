"""``results.sync`` resumes a large result across runs, against the emulator over TCP.

A run interrupted midway (cancelled, as Ctrl-C and SIGTERM do in the CLI, or cut off by a lost
network) leaves the file's bytes under the SDK's partial name with a sidecar of validators; the
next run asks only for the rest. The bytes the server sent are counted by a TCP relay between
client and emulator. A changed file, a server without ranges, or a sidecar that cannot be
trusted means the file comes again from byte 0; what is reported complete is always whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest

from galatea_async import AsyncGalatea, TransferOptions
from galatea_async._download._partials import resumable_name, sidecar_of
from galatea_async.emulator import Emulator
from tests.transports import make_transport

pytestmark = pytest.mark.usefixtures("transport_kind")

SIZE = 1_500_000
WANTED = ["SUMMARY_CHROMS"]
OPTIONS = TransferOptions(chunk_size=64 << 10, fsync=False, max_resume_attempts=0)
SPLIT = attrs.evolve(OPTIONS, parallel_threshold=128 << 10, part_size=128 << 10, concurrency=4)


@attrs.define
class Relay:
    """A TCP relay to the emulator that counts the bytes it sends back, and can cut them."""

    upstream_port: int
    sent_down: int = 0
    cut_after: int | None = None  # bytes downstream, over all connections, before cutting
    # Sent 64 KiB at a time with a pause between: the client then waits for bytes (where a
    # cancellation reaches it) instead of finding the whole body already buffered.
    paced: bool = False
    port: int = 0
    # Connections of an earlier run (cancelled, still draining) are not counted.
    run: int = 0
    # Called once when this many bytes have gone down (to kill a client midway).
    on_sent: tuple[int, Callable[[], None]] | None = None

    def next_run(self) -> None:
        self.run, self.sent_down, self.cut_after = self.run + 1, 0, None

    async def handle(self, client_reader: Any, client_writer: Any) -> None:
        run = self.run
        server_reader, server_writer = await asyncio.open_connection(
            "127.0.0.1", self.upstream_port
        )

        async def pump(reader: Any, writer: Any, down: bool) -> None:
            with contextlib.suppress(OSError):
                while data := await reader.read(65536):
                    if down and self.cut_after is not None:
                        data = data[: max(0, self.cut_after - self.sent_down)]
                        if not data:
                            client_writer.transport.abort()
                            server_writer.transport.abort()
                            return
                    writer.write(data)
                    await writer.drain()
                    if down and run == self.run:
                        self.sent_down += len(data)
                        hook = self.on_sent
                        if hook is not None and self.sent_down >= hook[0]:
                            self.on_sent = None
                            hook[1]()
                        if self.paced:
                            await asyncio.sleep(0.002)
            writer.close()

        await asyncio.gather(
            pump(client_reader, server_writer, False), pump(server_reader, client_writer, True)
        )


@contextlib.asynccontextmanager
async def relayed(emulator_url: str) -> AsyncIterator[Relay]:
    relay = Relay(upstream_port=int(emulator_url.rsplit(":", 1)[1]))
    server = await asyncio.start_server(relay.handle, "127.0.0.1", 0)
    relay.port = server.sockets[0].getsockname()[1]
    try:
        yield relay
    finally:
        server.close()


def client(emulator: Emulator, relay: Relay, kind: str, options: TransferOptions) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=emulator.api_key,
        base_url=f"http://127.0.0.1:{relay.port}",
        transport=make_transport(kind),
        transfer_options=options,
    )


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.part*"))


async def interrupted_run(
    emulator: Emulator, relay: Relay, kind: str, folder: Path, options: TransferOptions
) -> int:
    """A sync cancelled once its one result is half in; how many bytes its partial holds."""
    relay.paced = True
    async with client(emulator, relay, kind, options) as galatea:
        with anyio.CancelScope() as scope:

            def progress(request: Any, done: int, total: int | None) -> None:
                if total and done >= total // 2:
                    scope.cancel()

            await galatea.results.sync(folder, result_types=WANTED, file_progress=progress)
    relay.paced = False
    assert scope.cancelled_caught
    [partial] = [p for p in folder.rglob(".*.part")]
    assert sidecar_of(partial).is_file()
    return partial.stat().st_size


async def second_run(
    emulator: Emulator, relay: Relay, kind: str, folder: Path, options: TransferOptions = OPTIONS
) -> tuple[int, Path]:
    """Another sync; the bytes the server sent during it, and the file it reports."""
    relay.next_run()
    async with client(emulator, relay, kind, options) as galatea:
        report = await galatea.results.sync(folder, result_types=WANTED)
    assert report.ok, report.failed
    [outcome] = report.downloaded
    assert outcome.path is not None
    assert outcome.md5 == md5_of(outcome.path)  # the journal's md5 covers the kept bytes too
    return relay.sent_down, outcome.path


async def fresh_copy(emulator: Emulator, relay: Relay, kind: str, folder: Path) -> tuple[Path, int]:
    """A whole run into an empty folder: the file, and the bytes the server sent."""
    relay.next_run()
    async with client(emulator, relay, kind, OPTIONS) as galatea:
        report = await galatea.results.sync(folder, result_types=WANTED)
    [outcome] = report.downloaded
    assert outcome.path is not None
    return outcome.path, relay.sent_down


def server_md5(emulator: Emulator, order_id: str) -> str:
    """The md5 of the emulator's own bytes of the order's result."""
    state = emulator.state
    blob, _ = state.result_blob(state.orders[order_id], "SUMMARY_CHROMS", None)
    return str(blob.md5_hex())


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def order(emulator: Emulator) -> str:
    return emulator.add_order(result_sizes={"SUMMARY_CHROMS": SIZE})


@pytest.mark.parametrize("options", [OPTIONS, SPLIT], ids=["in-one-piece", "in-parts"])
async def test_cancelled_sync_is_resumed_from_the_bytes_on_disk(
    emulator: Emulator,
    emulator_url: str,
    transport_kind: str,
    tmp_path: Path,
    order: str,
    options: TransferOptions,
) -> None:
    async with relayed(emulator_url) as relay:
        kept = await interrupted_run(emulator, relay, transport_kind, tmp_path, options)
        assert kept >= options.part_size if options is SPLIT else kept >= SIZE // 2
        sent, path = await second_run(emulator, relay, transport_kind, tmp_path)
        fresh, fresh_sent = await fresh_copy(emulator, relay, transport_kind, tmp_path / "fresh")
    # The rest of the file plus what a whole run costs besides the file (listings, headers);
    # never the kept bytes again.
    assert sent < SIZE - kept + (fresh_sent - SIZE) + (4 << 10)
    assert md5_of(path) == server_md5(emulator, order) == md5_of(fresh)
    assert temporaries(tmp_path) == []


async def test_sync_cut_off_by_a_lost_network_is_resumed_by_the_next_run(
    emulator: Emulator, emulator_url: str, transport_kind: str, tmp_path: Path, order: str
) -> None:
    async with relayed(emulator_url) as relay:
        relay.cut_after = SIZE // 2
        async with client(emulator, relay, transport_kind, OPTIONS) as galatea:
            report = await galatea.results.sync(tmp_path, result_types=WANTED)
        assert not report.ok
        [partial] = list(tmp_path.rglob(".*.part"))
        kept = partial.stat().st_size
        assert kept > 0
        sent, path = await second_run(emulator, relay, transport_kind, tmp_path)
        _, fresh_sent = await fresh_copy(emulator, relay, transport_kind, tmp_path / "fresh")
    assert sent < SIZE - kept + (fresh_sent - SIZE) + (4 << 10)
    assert md5_of(path) == server_md5(emulator, order)
    assert temporaries(tmp_path) == []


KILLED_SYNC = """
import asyncio, sys
from galatea_async import AsyncGalatea, TransferOptions

async def main() -> None:
    options = TransferOptions(chunk_size=64 << 10, fsync=False)
    async with AsyncGalatea(api_key=sys.argv[1], base_url=sys.argv[2], transfer_options=options) as c:
        await c.results.sync(sys.argv[3], result_types=["SUMMARY_CHROMS"])

asyncio.run(main())
"""


async def test_sync_killed_midway_is_resumed_by_the_next_run(
    emulator: Emulator, emulator_url: str, transport_kind: str, tmp_path: Path, order: str
) -> None:
    # GALATEA_TRANSPORT (set by transport_kind) picks the killed process's transport too.
    async with relayed(emulator_url) as relay:
        relay.paced = True
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", KILLED_SYNC, emulator.api_key,
            f"http://127.0.0.1:{relay.port}", str(tmp_path),
        )  # fmt: skip
        relay.on_sent = (SIZE // 2, lambda: process.send_signal(signal.SIGKILL))
        assert await process.wait() == -signal.SIGKILL
        relay.paced = False
        [partial] = list(tmp_path.rglob(".*.part"))
        assert sidecar_of(partial).is_file()
        kept = partial.stat().st_size
        assert 0 < kept < SIZE
        sent, path = await second_run(emulator, relay, transport_kind, tmp_path)
        _, fresh_sent = await fresh_copy(emulator, relay, transport_kind, tmp_path / "fresh")
    assert sent < SIZE - kept + (fresh_sent - SIZE) + (4 << 10)
    assert md5_of(path) == server_md5(emulator, order)
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("change", ["validator", "no-ranges", "shrunk"])
async def test_changed_validators_restart_from_zero(
    emulator: Emulator,
    emulator_url: str,
    transport_kind: str,
    tmp_path: Path,
    order: str,
    change: str,
) -> None:
    async with relayed(emulator_url) as relay:
        await interrupted_run(emulator, relay, transport_kind, tmp_path, OPTIONS)
        [partial] = list(tmp_path.rglob(".*.part"))
        sidecar = sidecar_of(partial)
        recorded = json.loads(sidecar.read_bytes())
        if change == "validator":  # the server's file is another version now
            recorded["validator"] = '"another-version"'
        elif change == "no-ranges":
            emulator.accept_ranges = False
        else:  # the partial is longer than the server's file now: the range is unsatisfiable
            recorded["size"] = 2 * SIZE
            with partial.open("ab") as extend:
                extend.truncate(SIZE + 100)
        sidecar.write_text(json.dumps(recorded))
        sent, path = await second_run(emulator, relay, transport_kind, tmp_path)
    assert sent >= SIZE
    assert md5_of(path) == server_md5(emulator, order)
    assert temporaries(tmp_path) == []


async def test_sidecar_replaced_by_a_symlink_is_not_trusted(
    emulator: Emulator, emulator_url: str, transport_kind: str, tmp_path: Path, order: str
) -> None:
    # The other ways of tampering with a sidecar: tests/test_download_partials.py.
    async with relayed(emulator_url) as relay:
        await interrupted_run(emulator, relay, transport_kind, tmp_path, OPTIONS)
        [partial] = list(tmp_path.rglob(".*.part"))
        sidecar = sidecar_of(partial)
        elsewhere = tmp_path.parent / f"{tmp_path.name}-sidecar.json"
        elsewhere.write_bytes(sidecar.read_bytes())
        sidecar.unlink()
        sidecar.symlink_to(elsewhere)
        sent, path = await second_run(emulator, relay, transport_kind, tmp_path)
    assert sent >= SIZE
    assert md5_of(path) == server_md5(emulator, order)
    assert temporaries(tmp_path) == []


async def test_sync_never_cleans_an_order_folder_that_links_elsewhere(
    emulator: Emulator, emulator_url: str, transport_kind: str, tmp_path: Path, order: str
) -> None:
    dest, elsewhere = tmp_path / "dest", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / resumable_name("someone-else's")
    victim.write_bytes(b"not the SDK's to delete")
    (dest / order).symlink_to(elsewhere, target_is_directory=True)
    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport(transport_kind)
    ) as galatea:
        with contextlib.suppress(Exception):
            await galatea.results.sync(dest, result_types=WANTED)
    assert victim.read_bytes() == b"not the SDK's to delete"
