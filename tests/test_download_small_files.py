"""Small files held in memory: written whole or not at all, several per thread hop, each
file's failure its own, and a download cancelled while it waits leaves nothing behind."""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

import galatea_async._download._durability as durability
import galatea_async._download._small_files as small_files
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._small_files import SmallFile, SmallFileWriter, write_small_files
from galatea_async._download._target import Existing


def small(target: Path, data: bytes = b"x", **fields: Any) -> SmallFile:
    fields.setdefault("existing", Existing.REFUSE)
    fields.setdefault("fsync", True)
    return SmallFile(target, [data[:1], data[1:]], **fields)


class HeldHops:
    """Records the files of every hop; the first hop waits until ``release``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hops: list[list[str]] = []
        self.first_started = threading.Event()
        self._release = threading.Event()
        real = small_files.write_small_files

        def held(files: Sequence[SmallFile], sync_directories: bool) -> Any:
            self.hops.append([file.target.name for file in files])
            if len(self.hops) == 1:
                self.first_started.set()
                self._release.wait(10)
            return real(files, sync_directories)

        monkeypatch.setattr(small_files, "write_small_files", held)

    def release(self) -> None:
        self._release.set()


async def test_whole_file_is_private_and_complete(tmp_path: Path) -> None:
    md5 = await SmallFileWriter().write(small(tmp_path / "a.tsv", b"abcd", want_md5=True))
    path = tmp_path / "a.tsv"
    assert path.read_bytes() == b"abcd"
    assert md5 == "e2fc714c4727ee9395f324cd2e7f331f"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


async def test_failing_check_keeps_nothing(tmp_path: Path) -> None:
    def check(digest: Any) -> None:
        raise ValueError("md5 differs")

    with pytest.raises(ValueError, match="md5 differs"):
        await SmallFileWriter().write(small(tmp_path / "a.tsv", check=check))
    assert list(tmp_path.iterdir()) == []


async def test_existing_file_is_kept_unless_replacing(tmp_path: Path) -> None:
    target = tmp_path / "a.tsv"
    target.write_bytes(b"old")
    writer = SmallFileWriter()
    with pytest.raises(FileExistsError):
        await writer.write(small(target, b"new"))
    assert target.read_bytes() == b"old"
    await writer.write(small(target, b"new", existing=Existing.REPLACE))
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


async def test_alone_each_hop_syncs_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durability, "fsync_directory", synced.append)
    for index in range(3):
        await SmallFileWriter().write(small(tmp_path / f"{index}.bin"))
    assert [Path(directory) for directory in synced] == [tmp_path] * 3


async def test_files_of_a_batch_leave_their_directories_to_one_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durability, "fsync_directory", synced.append)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    directories = DurableDirectories()
    writer = SmallFileWriter(directories)
    async with anyio.create_task_group() as group:
        for index in range(10):
            folder = tmp_path / ("one" if index % 2 else "two")
            group.start_soon(writer.write, small(folder / f"{index}.bin"))
    assert synced == []
    await directories.flush()
    assert sorted(synced) == [tmp_path / "one", tmp_path / "two"]


async def test_files_that_arrive_during_a_hop_are_written_together_in_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=1)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.write, small(tmp_path / "0.bin"))
        await anyio.to_thread.run_sync(held.first_started.wait)
        for index in range(1, 6):
            group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
        await anyio.wait_all_tasks_blocked()
        held.release()
    assert held.hops == [["0.bin"], ["1.bin", "2.bin", "3.bin", "4.bin", "5.bin"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}.bin" for i in range(6)]


async def test_a_hop_takes_at_most_its_share_of_files_and_the_next_takes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=1, files_per_hop=3)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.write, small(tmp_path / "0.bin"))
        await anyio.to_thread.run_sync(held.first_started.wait)
        for index in range(1, 8):
            group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
        await anyio.wait_all_tasks_blocked()
        held.release()
    assert [len(hop) for hop in held.hops] == [1, 3, 3, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}.bin" for i in range(8)]


async def test_one_file_failing_in_a_hop_fails_it_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    (tmp_path / "taken.bin").write_bytes(b"someone's")
    writer = SmallFileWriter(hops=1)
    results: dict[str, Any] = {}

    async def write(name: str, data: bytes = b"ours") -> None:
        try:
            results[name] = await writer.write(small(tmp_path / name, data, want_md5=True))
        except Exception as exc:
            results[name] = exc

    async with anyio.create_task_group() as group:
        group.start_soon(write, "first.bin")
        await anyio.to_thread.run_sync(held.first_started.wait)
        for name in ("a.bin", "taken.bin", "b.bin"):
            group.start_soon(write, name)
        await anyio.wait_all_tasks_blocked()
        held.release()
    assert held.hops[1] == ["a.bin", "taken.bin", "b.bin"]
    assert isinstance(results["taken.bin"], FileExistsError)
    assert results["a.bin"] == results["b.bin"] == "abdc793c700a0f9110566c092398985f"
    assert (tmp_path / "taken.bin").read_bytes() == b"someone's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.bin", "b.bin", "first.bin", "taken.bin",
    ]  # fmt: skip


async def test_a_download_cancelled_while_waiting_writes_nothing_and_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=1)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.write, small(tmp_path / "0.bin"))
        await anyio.to_thread.run_sync(held.first_started.wait)
        with anyio.CancelScope() as waiting:
            group.start_soon(writer.write, small(tmp_path / "1.bin"))  # runs the next hop
            # The cancelled one was to run the next hop: the last one takes it over.
            async with anyio.create_task_group() as cancelled:
                cancelled.start_soon(writer.write, small(tmp_path / "gone.bin"))
                await anyio.wait_all_tasks_blocked()
                cancelled.cancel_scope.cancel()
        assert not waiting.cancelled_caught
        group.start_soon(writer.write, small(tmp_path / "2.bin"))
        await anyio.wait_all_tasks_blocked()
        held.release()
    assert held.hops == [["0.bin"], ["1.bin", "2.bin"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.bin", "1.bin", "2.bin"]


async def test_the_next_hop_is_run_by_another_download_when_its_first_is_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=1)
    tasks: dict[str, asyncio.Task[Any]] = {}

    async def first() -> None:
        await writer.write(small(tmp_path / "0.bin"))
        # Now "gone.bin" has been told to run the next hop, and has not run yet.
        tasks["gone"].cancel()

    tasks["first"] = asyncio.create_task(first())
    await anyio.to_thread.run_sync(held.first_started.wait)
    tasks["gone"] = asyncio.create_task(writer.write(small(tmp_path / "gone.bin")))
    tasks["next"] = asyncio.create_task(writer.write(small(tmp_path / "1.bin")))
    await anyio.wait_all_tasks_blocked()
    held.release()
    with anyio.fail_after(10):
        await asyncio.wait(tasks.values())
    assert tasks["gone"].cancelled()
    assert held.hops == [["0.bin"], ["1.bin"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.bin", "1.bin"]


async def test_a_download_cancelled_during_its_hop_waits_for_the_hop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=1)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.write, small(tmp_path / "0.bin"))
        await anyio.to_thread.run_sync(held.first_started.wait)
        group.cancel_scope.cancel()  # the hop is shielded: the write still ends
        held.release()
    assert (tmp_path / "0.bin").read_bytes() == b"x"
    assert [p.name for p in tmp_path.iterdir()] == ["0.bin"]


async def test_a_second_hop_runs_while_the_first_waits_on_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldHops(monkeypatch)
    writer = SmallFileWriter(hops=2)
    async with anyio.create_task_group() as group:
        group.start_soon(writer.write, small(tmp_path / "0.bin"))
        await anyio.to_thread.run_sync(held.first_started.wait)
        await writer.write(small(tmp_path / "1.bin"))
        assert not (tmp_path / "0.bin").exists()  # the first hop is still held
        held.release()
    assert held.hops == [["0.bin"], ["1.bin"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.bin", "1.bin"]


def test_write_small_files_returns_each_files_outcome_in_order(tmp_path: Path) -> None:
    (tmp_path / "taken").write_bytes(b"")
    outcomes, named_in = write_small_files(
        [small(tmp_path / "a", want_md5=True), small(tmp_path / "taken"), small(tmp_path / "b")],
        sync_directories=False,
    )
    assert named_in == {tmp_path}
    assert outcomes[0] == "9dd4e461268c8034f5c8564e155c67a6"
    assert isinstance(outcomes[1], FileExistsError)
    assert outcomes[2] is None


def test_a_file_whose_fsync_fails_is_not_named_and_the_others_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        if os.fstat(fd).st_size == 3:  # the one file of three bytes
            raise OSError(errno.EIO, "input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    files = [small(tmp_path / "a"), small(tmp_path / "bad", b"bad"), small(tmp_path / "b")]
    outcomes, _ = write_small_files(files, sync_directories=True)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], OSError)
    assert outcomes[1].errno == errno.EIO
    assert outcomes[2] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary file left
