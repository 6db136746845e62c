"""The atomic writer: whole or nothing, private, and directory syncs batched in a batch."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import galatea_async._atomic as atomic
from galatea_async._atomic import deferred_directory_syncs, write_whole_file


async def test_whole_file_is_private_and_complete(tmp_path: Path) -> None:
    path = await write_whole_file(tmp_path / "a.tsv", [b"ab", b"cd"], overwrite=False, fsync=True)
    assert path.read_bytes() == b"abcd"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


async def test_failing_check_keeps_nothing(tmp_path: Path) -> None:
    def check() -> None:
        raise ValueError("md5 differs")

    with pytest.raises(ValueError, match="md5 differs"):
        await write_whole_file(tmp_path / "a.tsv", [b"x"], overwrite=False, fsync=True, check=check)
    assert list(tmp_path.iterdir()) == []


async def test_directory_syncs_wait_for_the_end_of_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(atomic, "_fsync_directory", synced.append)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    async with deferred_directory_syncs():
        async with anyio.create_task_group() as group:
            for index in range(10):
                folder = tmp_path / ("one" if index % 2 else "two")
                group.start_soon(
                    lambda f=folder, i=index: write_whole_file(
                        f / f"{i}.bin", [b"x"], overwrite=False, fsync=True
                    )
                )
        assert synced == []
    assert sorted(synced) == [tmp_path / "one", tmp_path / "two"]


async def test_outside_a_batch_each_rename_syncs_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(atomic, "_fsync_directory", synced.append)
    for index in range(3):
        await write_whole_file(tmp_path / f"{index}.bin", [b"x"], overwrite=False, fsync=True)
    assert synced == [tmp_path] * 3
