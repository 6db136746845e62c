"""A tampered sync folder: the journal's rows, its files and the lock cannot be turned against
the user.

A journal row (in the SQLite journal, or a line of an earlier version's JSON-lines journal)
counts only when its path is that key's own file inside its order's folder; a journal or lock
that is a symbolic link, a FIFO or a device is refused with a clear error before any request;
a link planted beside the journal is never written through; a damaged journal is set aside
with a warning and the run goes on; one bad line costs its line only. Nothing outside ``dest``
is read as a result or written. Every case runs against a real folder on both transports.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

import anyio
import pytest

from galatea_async import GalateaError
from galatea_async._download._journal import JOURNAL_NAME, Journal
from galatea_async._download._journal_legacy import LEGACY_JOURNAL_NAME
from galatea_async._download._journal_rules import path_hash
from tests.integration.hostile.checks import assert_no_canary, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results

LOCK_NAME = ".galatea-sync.lock"
JOURNALS = [JOURNAL_NAME, LEGACY_JOURNAL_NAME]


def data(label: str, size: int = 2000) -> bytes:
    return hashlib.shake_256(label.encode()).digest(size)


def line(key: str, path: str, content: bytes) -> str:
    md5 = hashlib.md5(content).hexdigest()
    return json.dumps({"key": key, "path": path, "size": len(content), "md5": md5}) + "\n"


def journal_row(dest: Path, key: str, path: str, content: bytes) -> None:
    """A row in the SQLite journal, written past the journal's own checks."""
    Journal.load(dest).close()
    md5 = hashlib.md5(content).hexdigest()
    with contextlib.closing(sqlite3.connect(dest / JOURNAL_NAME)) as connection, connection:
        connection.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
            (key, path, path_hash(path), len(content), md5),
        )


def two_orders(server: HostileServer) -> list[Result]:
    results = [
        Result(new_id(), "SUMMARY_CHROMS", "summary.tsv", data("first")),
        Result(new_id(), "SUMMARY_CHROMS", "summary.tsv", data("second", 2500)),
    ]
    serve_orders(server, results)
    serve_results(server, results)
    return results


# -- journal paths are trusted only inside their own order's folder ---------------------------


@pytest.mark.parametrize("journal", ["sqlite", "legacy"])
@pytest.mark.parametrize("where", ["parent", "absolute", "other-order", "unnormalised", "deeper"])
async def test_a_journal_row_pointing_elsewhere_is_ignored_and_its_file_fetched(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, where: str, journal: str
) -> None:
    first, second = two_orders(server)
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_bytes(first.data)  # the size and md5 the row claims: only its place is wrong
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
    key = f"{first.order_id}/SUMMARY_CHROMS"
    if journal == "sqlite":
        journal_row(dest, key, path, first.data)
    else:
        (dest / LEGACY_JOURNAL_NAME).write_text(line(key, path, first.data))
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


# -- the journals and the lock are regular files, never followed ------------------------------


@pytest.mark.parametrize("name", JOURNALS)
async def test_a_journal_that_is_a_symbolic_link_is_refused_before_any_request(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, name: str
) -> None:
    two_orders(server)
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    # Collected names must be the same in every xdist worker, so the pid is filled in here.
    (dest / name.replace("PID", str(os.getpid()))).symlink_to(target)
    before = Snapshot.of(tmp_path)
    with pytest.raises(GalateaError, match="symbolic link") as caught:
        await connect().results.sync(dest)
    assert type(caught.value) is GalateaError
    assert name in str(caught.value)
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


@pytest.mark.parametrize(
    "name",
    [
        f"{JOURNAL_NAME}-journal",
        f"{JOURNAL_NAME}-wal",
        f"{JOURNAL_NAME}-shm",
        f"{LEGACY_JOURNAL_NAME}.PID.tmp",  # the process id is put in below
    ],
)
async def test_a_link_planted_beside_the_journal_is_never_written_through(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, name: str
) -> None:
    two_orders(server)
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    (dest / name).symlink_to(target)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert report.ok and len(report.downloaded) == 2
    assert target.read_text() == "precious\n"
    assert changed_outside(before, dest) == []
    assert (dest / JOURNAL_NAME).is_file() and not (dest / JOURNAL_NAME).is_symlink()
    again = await connect().results.sync(dest)
    assert again.downloaded == [] and len(again.skipped) == 2


@pytest.mark.parametrize("name", [*JOURNALS, LOCK_NAME])
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


@pytest.mark.parametrize("name", JOURNALS)
async def test_a_journal_linked_to_dev_zero_is_refused(
    server: HostileServer, connect: Connect, dest: Path, name: str
) -> None:
    two_orders(server)
    (dest / name).symlink_to("/dev/zero")
    with pytest.raises(GalateaError) as caught:
        with anyio.fail_after(30):
            await connect().results.sync(dest)
    assert type(caught.value) is GalateaError
    assert server.count() == 0


@pytest.mark.parametrize("name", [*JOURNALS, LOCK_NAME])
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


# -- damage costs the damaged part only --------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe", b"x" * (1 << 20)],
    ids=["invalid-utf8", "a-megabyte-line"],
)
async def test_a_bad_line_of_an_earlier_journal_costs_that_line_only(
    server: HostileServer, connect: Connect, dest: Path, damage: bytes
) -> None:
    results = two_orders(server)
    done = await connect().results.sync(dest)
    assert len(done.downloaded) == 2
    (dest / JOURNAL_NAME).unlink()  # the folder as an earlier version left it
    lines = [
        line(f"{r.order_id}/SUMMARY_CHROMS", f"{r.order_id}/summary.tsv", r.data).encode()
        for r in results
    ]
    (dest / LEGACY_JOURNAL_NAME).write_bytes(lines[0][:20] + damage + lines[0][20:] + lines[1])
    before = server.count("GET", DOWNLOADS)
    again = await connect().results.sync(dest)
    assert again.ok
    assert len(again.skipped) + len(again.downloaded) == 2
    assert server.count("GET", DOWNLOADS) == before + 1  # only the damaged line's file
    assert not (dest / LEGACY_JOURNAL_NAME).exists()
    assert temporary_files(dest) == []


@pytest.mark.parametrize("damage", ["overwritten", "truncated"])
async def test_a_damaged_journal_is_set_aside_with_a_warning_and_the_run_goes_on(
    server: HostileServer,
    connect: Connect,
    dest: Path,
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    results = two_orders(server)
    assert (await connect().results.sync(dest)).ok
    journal = dest / JOURNAL_NAME
    content = journal.read_bytes()
    if damage == "overwritten":
        journal.write_bytes(content[:100] + b"\xa5" * (len(content) - 100))
    else:
        journal.write_bytes(content[:1000])
    report = await connect().results.sync(dest)
    assert report.ok and len(report.downloaded) + len(report.skipped) == 2
    for result in results:
        assert (dest / result.order_id / "summary.tsv").read_bytes() == result.data
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("set aside" in r.getMessage() for r in warnings)
    assert len([p for p in dest.iterdir() if ".unusable-" in p.name]) >= 1
    before = server.count("GET", DOWNLOADS)
    third = await connect().results.sync(dest)  # the fresh journal holds every file again
    assert third.downloaded == [] and len(third.skipped) == 2
    assert server.count("GET", DOWNLOADS) == before
