"""Temporary files of streamed downloads, and the cleanup of those a killed run left."""

from __future__ import annotations

from pathlib import Path

from galatea_async._download._files import PartialFile, remove_stale_temporary_files


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
