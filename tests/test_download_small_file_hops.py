"""How the small-file writer forms its hops: the bodies that complete in one turn of the event
loop go together, each file is written once however many hops start at the same time, and a
download cancelled while its hop gathers hands the hop on."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

import galatea_async._download._small_files as small_files
from galatea_async._download._small_files import SmallFile, SmallFileWriter
from galatea_async._download._target import Existing


def small(target: Path) -> SmallFile:
    return SmallFile(target, [b"x"], existing=Existing.REFUSE, fsync=True)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The names of the files of every hop, in order."""
    seen: list[list[str]] = []
    real = small_files.write_small_files

    def recorded(files: Sequence[SmallFile], sync_directories: bool) -> Any:
        seen.append([file.target.name for file in files])
        return real(files, sync_directories)

    monkeypatch.setattr(small_files, "write_small_files", recorded)
    return seen


async def test_bodies_completed_in_one_turn_share_one_hop(
    tmp_path: Path, hops: list[list[str]]
) -> None:
    writer = SmallFileWriter(hops=2)
    async with anyio.create_task_group() as group:
        for index in range(5):
            group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
    assert sorted(name for hop in hops for name in hop) == [f"{i}.bin" for i in range(5)]
    assert hops[0] == [f"{i}.bin" for i in range(5)]


async def test_what_one_hop_cannot_take_goes_to_a_free_hop_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[list[str]] = []
    second_started = threading.Event()
    real = small_files.write_small_files

    def first_waits_for_second(files: Sequence[SmallFile], sync_directories: bool) -> Any:
        hops.append([file.target.name for file in files])
        if len(hops) == 1:
            assert second_started.wait(10), "the second hop did not start beside the first"
        else:
            second_started.set()
        return real(files, sync_directories)

    monkeypatch.setattr(small_files, "write_small_files", first_waits_for_second)
    writer = SmallFileWriter(hops=2, files_per_hop=3)
    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for index in range(5):
                group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
    assert sorted(hops) == [["0.bin", "1.bin", "2.bin"], ["3.bin", "4.bin"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{i}.bin" for i in range(5)]


async def test_each_file_is_written_once_when_hops_start_together(
    tmp_path: Path, hops: list[list[str]]
) -> None:
    writer = SmallFileWriter(hops=3)
    failures: list[BaseException] = []

    async def write(name: str) -> None:
        try:
            await writer.write(small(tmp_path / name))
        except Exception as exc:
            failures.append(exc)

    async with anyio.create_task_group() as group:
        for index in range(6):
            group.start_soon(write, f"{index}.bin")
    assert failures == []
    assert sorted(name for hop in hops for name in hop) == [f"{i}.bin" for i in range(6)]


async def test_a_download_cancelled_while_its_hop_gathers_hands_the_hop_on(
    tmp_path: Path, hops: list[list[str]]
) -> None:
    writer = SmallFileWriter(hops=1)

    async def cancel(scope: anyio.CancelScope) -> None:
        scope.cancel()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group, anyio.create_task_group() as cancelled:
            cancelled.start_soon(writer.write, small(tmp_path / "gone.bin"))  # leads
            group.start_soon(writer.write, small(tmp_path / "kept.bin"))  # waits
            group.start_soon(cancel, cancelled.cancel_scope)
    assert hops == [["kept.bin"]]
    assert [p.name for p in tmp_path.iterdir()] == ["kept.bin"]
