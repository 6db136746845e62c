"""A tampered sync folder: the journal's lines, its file and the lock cannot be turned against
the user.

A journal line counts only when its path is that key's own file inside its order's folder; a
journal or lock that is a symbolic link, a FIFO or a device is refused with a clear error
before any request, and nothing outside ``dest`` is read as a result or written; one bad byte
costs its line only. Every case runs against a real folder on both transports.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path

import anyio
import pytest

from galatea_async import GalateaError
from galatea_async._download._journal import JOURNAL_NAME
from tests.integration.hostile.checks import assert_no_canary, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results

LOCK_NAME = ".galatea-sync.lock"


def data(label: str, size: int = 2000) -> bytes:
    return hashlib.shake_256(label.encode()).digest(size)


def line(key: str, path: str, content: bytes) -> str:
    md5 = hashlib.md5(content).hexdigest()
    return json.dumps({"key": key, "path": path, "size": len(content), "md5": md5}) + "\n"


def two_orders(server: HostileServer) -> list[Result]:
    results = [
        Result(new_id(), "SUMMARY_CHROMS", "summary.tsv", data("first")),
        Result(new_id(), "SUMMARY_CHROMS", "summary.tsv", data("second", 2500)),
    ]
    serve_orders(server, results)
    serve_results(server, results)
    return results


# -- journal paths are trusted only inside their own order's folder ---------------------------


@pytest.mark.parametrize("where", ["parent", "absolute", "other-order", "unnormalised", "deeper"])
async def test_a_journal_line_pointing_elsewhere_is_ignored_and_its_file_fetched(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, where: str
) -> None:
    first, second = two_orders(server)
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_bytes(first.data)  # the size and md5 the line claims: only its place is wrong
    (dest / second.order_id).mkdir()
    (dest / second.order_id / "summary.tsv").write_bytes(first.data)
    (dest / first.order_id / "sub").mkdir(parents=True)
    (dest / first.order_id / "sub" / "summary.tsv").write_bytes(first.data)
    path = {
        "parent": "../outside/victim.txt",
        "absolute": str(victim),
        "other-order": f"{second.order_id}/summary.tsv",
        "unnormalised": f"{first.order_id}/./summary.tsv/../summary.tsv",
        "deeper": f"{first.order_id}/sub/summary.tsv",
    }[where]
    (dest / JOURNAL_NAME).write_text(line(f"{first.order_id}/SUMMARY_CHROMS", path, first.data))
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest, verify=True)
    assert report.ok and report.skipped == []
    assert sorted(str(o.path) for o in report.downloaded) == sorted(
        str(dest / r.order_id / "summary.tsv") for r in (first, second)
    )
    assert (dest / first.order_id / "summary.tsv").read_bytes() == first.data
    assert (dest / second.order_id / "summary.tsv").read_bytes() == second.data
    assert server.count("GET", DOWNLOADS) == 2
    assert changed_outside(before, dest) == []
    assert temporary_files(dest) == []


# -- the journal and the lock are regular files, never followed -------------------------------


async def test_a_journal_that_is_a_symbolic_link_is_refused_before_any_request(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    two_orders(server)
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    (dest / JOURNAL_NAME).symlink_to(target)
    before = Snapshot.of(tmp_path)
    with pytest.raises(GalateaError, match="symbolic link") as caught:
        await connect().results.sync(dest)
    assert type(caught.value) is GalateaError
    assert JOURNAL_NAME in str(caught.value)
    assert server.count() == 0
    assert target.read_text() == "precious\n"
    assert changed_outside(before, dest) == []
    assert_no_canary(rendered(caught.value))


async def test_a_dangling_lock_link_is_refused_and_its_target_never_created(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    two_orders(server)
    target = tmp_path / "created-by-the-lock"
    (dest / LOCK_NAME).symlink_to(target)
    with pytest.raises(GalateaError, match="symbolic link") as caught:
        await connect().results.sync(dest)
    assert type(caught.value) is GalateaError
    assert not os.path.lexists(target)
    assert server.count() == 0


async def test_a_planted_compaction_temporary_is_never_written_through(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    two_orders(server)
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    # Every name a compaction temporary could have had: the process id is predictable.
    for pid in {os.getpid(), os.getpid() + 1}:
        (dest / f"{JOURNAL_NAME}.{pid}.tmp").symlink_to(target)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert report.ok
    assert target.read_text() == "precious\n"
    assert changed_outside(before, dest) == []
    assert (dest / JOURNAL_NAME).is_file() and not (dest / JOURNAL_NAME).is_symlink()


@pytest.mark.parametrize("name", [JOURNAL_NAME, LOCK_NAME])
async def test_a_journal_or_lock_that_is_a_fifo_is_refused_without_hanging(
    server: HostileServer, connect: Connect, dest: Path, name: str
) -> None:
    two_orders(server)
    fifo = dest / name
    os.mkfifo(fifo)
    # A guard, not a synchronisation: were a read of the FIFO to block in a worker thread, a
    # writer opening and closing it ends that read so the suite cannot hang.
    stop = threading.Event()

    def unblock_a_reader() -> None:
        if not stop.wait(10):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    guard = threading.Thread(target=unblock_a_reader, daemon=True)
    guard.start()
    try:
        with pytest.raises(GalateaError, match="not a regular file") as caught:
            await connect().results.sync(dest)
    finally:
        stop.set()
        guard.join()
    assert type(caught.value) is GalateaError
    assert name in str(caught.value)
    assert server.count() == 0


async def test_a_journal_linked_to_dev_zero_is_refused(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    two_orders(server)
    (dest / JOURNAL_NAME).symlink_to("/dev/zero")
    with pytest.raises(GalateaError) as caught:
        with anyio.fail_after(30):
            await connect().results.sync(dest)
    assert type(caught.value) is GalateaError
    assert server.count() == 0


# -- damage costs the damaged line only --------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe", b"x" * (1 << 20)],
    ids=["invalid-utf8", "a-megabyte-line"],
)
async def test_a_bad_journal_line_costs_that_line_only(
    server: HostileServer, connect: Connect, dest: Path, damage: bytes
) -> None:
    two_orders(server)
    done = await connect().results.sync(dest)
    assert len(done.downloaded) == 2
    lines = (dest / JOURNAL_NAME).read_bytes().splitlines(keepends=True)
    assert len(lines) == 2
    damaged = lines[0][:20] + damage + lines[0][20:]
    (dest / JOURNAL_NAME).write_bytes(damaged + lines[1])
    before = server.count("GET", DOWNLOADS)
    again = await connect().results.sync(dest)
    assert again.ok
    assert len(again.skipped) + len(again.downloaded) == 2
    assert server.count("GET", DOWNLOADS) == before + 1  # only the damaged line's file
    assert temporary_files(dest) == []


@pytest.mark.parametrize("name", [JOURNAL_NAME, LOCK_NAME])
async def test_a_journal_or_lock_hard_linked_to_a_file_outside_is_never_written_through(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, name: str
) -> None:
    two_orders(server)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.link(victim, dest / name)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert report.ok and len(report.downloaded) == 2
    assert victim.read_text() == "precious\n"
    assert changed_outside(before, dest) == []
    assert os.stat(dest / JOURNAL_NAME).st_nlink == 1
