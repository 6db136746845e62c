"""Files on disk: whole or nothing, private, never clobbered, directories synced once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

import galatea_async._download._durability as durability
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._files import (
    PartialFile,
    remove_stale_temporary_files,
    write_small_file,
)
from galatea_async._download._target import Existing


async def test_whole_file_is_private_and_complete(tmp_path: Path) -> None:
    md5 = await write_small_file(
        tmp_path / "a.tsv",
        [b"ab", b"cd"],
        existing=Existing.REFUSE,
        fsync=True,
        fsync_directory=True,
        want_md5=True,
    )
    path = tmp_path / "a.tsv"
    assert path.read_bytes() == b"abcd"
    assert md5 == "e2fc714c4727ee9395f324cd2e7f331f"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


async def test_failing_check_keeps_nothing(tmp_path: Path) -> None:
    def check(digest: Any) -> None:
        raise ValueError("md5 differs")

    with pytest.raises(ValueError, match="md5 differs"):
        await write_small_file(
            tmp_path / "a.tsv",
            [b"x"],
            existing=Existing.REFUSE,
            fsync=True,
            fsync_directory=True,
            check=check,
        )
    assert list(tmp_path.iterdir()) == []


async def test_existing_file_is_kept_unless_replacing(tmp_path: Path) -> None:
    target = tmp_path / "a.tsv"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        await write_small_file(
            target, [b"new"], existing=Existing.REFUSE, fsync=False, fsync_directory=False
        )
    assert target.read_bytes() == b"old"
    await write_small_file(
        target, [b"new"], existing=Existing.REPLACE, fsync=False, fsync_directory=False
    )
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.tsv"]


async def test_durable_directories_wait_for_their_flush_one_per_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durability, "fsync_directory", synced.append)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    syncs = DurableDirectories()

    async def write(folder: Path, index: int) -> None:
        await write_small_file(
            folder / f"{index}.bin", [b"x"], existing=Existing.REFUSE, fsync=True,
            fsync_directory=False,
        )  # fmt: skip
        syncs.add(folder)

    async with anyio.create_task_group() as group:
        for index in range(10):
            group.start_soon(write, tmp_path / ("one" if index % 2 else "two"), index)
    assert synced == []
    await syncs.flush()
    assert sorted(synced) == [tmp_path / "one", tmp_path / "two"]
    await syncs.flush()
    assert len(synced) == 2  # nothing pending any more


async def test_alone_each_file_syncs_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(durability, "fsync_directory", synced.append)
    for index in range(3):
        await write_small_file(
            tmp_path / f"{index}.bin", [b"x"], existing=Existing.REFUSE, fsync=True,
            fsync_directory=True,
        )  # fmt: skip
    assert [Path(directory) for directory in synced] == [tmp_path] * 3


async def test_partial_file_appears_on_first_write_and_vanishes_on_discard(tmp_path: Path) -> None:
    partial = PartialFile(tmp_path / "r.tsv")
    assert list(tmp_path.iterdir()) == []  # created by the first write, in a worker thread
    await partial.write_at(0, [b"abc"])
    assert partial.temporary.exists()
    assert partial.temporary.name.startswith(".r.tsv.")
    partial.discard()
    partial.discard()
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".r.tsv.0123456789ab.part").write_bytes(b"half")
    (tmp_path / ".keep.part").write_bytes(b"not ours")
    (tmp_path / "r.tsv").write_bytes(b"whole")
    assert remove_stale_temporary_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep.part", "r.tsv"]


def test_stale_cleanup_never_enters_an_order_folder_that_is_a_symlink_elsewhere(
    tmp_path: Path,
) -> None:
    dest, elsewhere = tmp_path / "dest", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / ".r.tsv.0123456789ab.part"
    victim.write_bytes(b"someone else's")
    (dest / "order").symlink_to(elsewhere, target_is_directory=True)
    assert remove_stale_temporary_files(dest / "order") == 0
    assert victim.read_bytes() == b"someone else's"


def test_stale_cleanup_never_enters_a_folder_below_a_symlinked_parent(tmp_path: Path) -> None:
    dest, elsewhere = tmp_path / "dest", tmp_path / "elsewhere"
    (elsewhere / "order").mkdir(parents=True)
    dest.mkdir()
    victim = elsewhere / "order" / ".r.tsv.0123456789ab.part"
    victim.write_bytes(b"someone else's")
    (dest / "link").symlink_to(elsewhere, target_is_directory=True)
    assert remove_stale_temporary_files(dest / "link" / "order", inside=dest) == 0
    assert victim.exists()


def test_stale_cleanup_removes_only_regular_files_of_the_exact_pattern(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    folder = tmp_path / "order"
    folder.mkdir()
    (folder / ".a.tsv.0123456789ab.part").symlink_to(outside)
    (folder / ".b.tsv.0123456789ab.part").mkdir()
    (folder / ".c.tsv.0123456789AB.part").write_bytes(b"upper-case hex: not ours")
    (folder / ".d.tsv.0123456789ab.partx").write_bytes(b"not ours")
    (folder / ".e.tsv.0123456789ab.part").write_bytes(b"ours")
    assert remove_stale_temporary_files(folder) == 1
    assert sorted(p.name for p in folder.iterdir()) == [
        ".a.tsv.0123456789ab.part",
        ".b.tsv.0123456789ab.part",
        ".c.tsv.0123456789AB.part",
        ".d.tsv.0123456789ab.partx",
    ]
    assert outside.read_bytes() == b"precious"
