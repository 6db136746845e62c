"""Temporary files of streamed downloads, and the cleanup of those a killed run left."""

from __future__ import annotations

import time
from pathlib import Path

from galatea_async._download._files import PartialFile
from galatea_async._download._order_folders import read_order_folder

ORDER = "0b1c2d3e-0000-4000-8000-000000000001"


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
    folder = tmp_path / ORDER
    folder.mkdir()
    (folder / ".r.tsv.0123456789ab.part").write_bytes(b"half")
    (folder / ".keep.part").write_bytes(b"not ours")
    (folder / "r.tsv").write_bytes(b"whole")
    read_order_folder(tmp_path, ORDER, time.time())
    assert sorted(p.name for p in folder.iterdir()) == [".keep.part", "r.tsv"]


def test_stale_cleanup_removes_only_regular_files_of_the_exact_pattern(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    folder = tmp_path / ORDER
    folder.mkdir()
    (folder / ".a.tsv.0123456789ab.part").symlink_to(outside)
    (folder / ".b.tsv.0123456789ab.part").mkdir()
    (folder / ".c.tsv.0123456789AB.part").write_bytes(b"upper-case hex: not ours")
    (folder / ".d.tsv.0123456789ab.partx").write_bytes(b"not ours")
    (folder / ".e.tsv.0123456789ab.part").write_bytes(b"ours")
    read_order_folder(tmp_path, ORDER, time.time())
    assert sorted(p.name for p in folder.iterdir()) == [
        ".a.tsv.0123456789ab.part",
        ".b.tsv.0123456789ab.part",
        ".c.tsv.0123456789AB.part",
        ".d.tsv.0123456789ab.partx",
    ]
    assert outside.read_bytes() == b"precious"
