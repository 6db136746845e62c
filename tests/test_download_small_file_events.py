"""The small-file writer tells the downloads of a hop how their files went with one event per
hop, not one per file (an event costs as much as the rest of a waiting file's bookkeeping)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from galatea_async._download._small_files import SmallFile, SmallFileWriter
from galatea_async._download._target import Existing


def small(target: Path) -> SmallFile:
    return SmallFile(target, [b"x"], existing=Existing.REFUSE, fsync=True)


@pytest.fixture
def events_made(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    made: list[object] = []
    real = anyio.Event

    def counted() -> anyio.Event:
        event = real()
        made.append(event)
        return event

    monkeypatch.setattr(anyio, "Event", counted)
    return made


async def test_the_downloads_of_one_hop_are_told_by_one_event(
    tmp_path: Path, events_made: list[object]
) -> None:
    writer = SmallFileWriter(hops=1)
    async with anyio.create_task_group() as group:
        for index in range(20):
            group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{i}.bin" for i in range(20))
    assert len(events_made) == 1


async def test_files_waiting_for_a_busy_writer_share_the_next_hops_events(
    tmp_path: Path, events_made: list[object]
) -> None:
    writer = SmallFileWriter(hops=1, files_per_hop=8)
    async with anyio.create_task_group() as group:
        for index in range(24):  # three hops of eight, one after another
            group.start_soon(writer.write, small(tmp_path / f"{index}.bin"))
    assert len(list(tmp_path.iterdir())) == 24
    assert len(events_made) == 5  # each hop's outcome, and the turns of the two that waited


async def test_a_hop_of_one_file_makes_no_event(tmp_path: Path, events_made: list[object]) -> None:
    writer = SmallFileWriter(hops=2)
    await writer.write(small(tmp_path / "alone.bin"))
    assert (tmp_path / "alone.bin").read_bytes() == b"x"
    assert events_made == []
