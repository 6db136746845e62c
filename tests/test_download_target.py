"""Where a download lands: the destination decided once, the target inside it, existing files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._download._files import prepare_destination
from galatea_async._download._target import (
    Destination,
    Existing,
    existing_policy,
    is_complete_copy,
    plan_destination,
    spelled_as_directory,
)

FALLBACK = "order_SUMMARY_CHROMS.tsv"


# --- plan_destination and Destination.target (pure) ----------------------------------------


def test_plan_for_a_directory_uses_the_safe_server_name() -> None:
    destination = plan_destination("out", is_directory=True)
    assert destination == Destination(directory=Path("out"))
    assert destination.target("../../etc/passwd", fallback=FALLBACK) == Path("out/passwd")


def test_plan_for_a_directory_without_server_name_uses_the_fallback() -> None:
    destination = plan_destination("out/", is_directory=True)
    assert destination.target(None, fallback=FALLBACK) == Path("out") / FALLBACK


def test_plan_for_a_file_path_keeps_the_callers_name() -> None:
    destination = plan_destination("out/mine.tsv", is_directory=False)
    assert destination == Destination(directory=Path("out"), filename="mine.tsv")
    assert destination.target("server.tsv", fallback=FALLBACK) == Path("out/mine.tsv")


@pytest.mark.parametrize("dest", ["out/", "out" + os.sep, ".", "..", "", "out/.", "out/.."])
def test_dest_spelled_as_a_directory_is_one(dest: str) -> None:
    assert spelled_as_directory(dest)
    destination = plan_destination(dest, is_directory=False)
    assert destination.filename is None
    assert destination.directory == Path(dest)
    assert destination.target("x.tsv", fallback=FALLBACK) == Path(dest) / "x.tsv"


@pytest.mark.parametrize("dest", ["out", "out/file.tsv", Path("out/")])
def test_dest_not_spelled_as_a_directory(dest: str | Path) -> None:
    assert not spelled_as_directory(dest)


@settings(max_examples=200, deadline=None)
@given(server_name=st.one_of(st.none(), st.text()))
def test_plan_for_a_directory_is_always_directly_inside_it(server_name: str | None) -> None:
    target = plan_destination("/srv/out", is_directory=True).target(server_name, fallback=FALLBACK)
    assert target.parent == Path("/srv/out")
    assert target.name not in ("", ".", "..")


# --- prepare_destination (the one look at the disk, and mkdir -p) ---------------------------


def test_existing_directory_gets_the_server_name(tmp_path: Path) -> None:
    destination = prepare_destination(tmp_path)
    assert destination.target("r.tsv", fallback=FALLBACK) == tmp_path / "r.tsv"


def test_missing_directory_with_trailing_slash_is_created(tmp_path: Path) -> None:
    destination = prepare_destination(f"{tmp_path}/new/deeper/")
    target = destination.target("r.tsv", fallback=FALLBACK)
    assert target == tmp_path / "new" / "deeper" / "r.tsv"
    assert (tmp_path / "new" / "deeper").is_dir()
    assert not target.exists()


def test_file_path_creates_missing_parents(tmp_path: Path) -> None:
    destination = prepare_destination(tmp_path / "a" / "b" / "mine.tsv")
    target = destination.target("server.tsv", fallback=FALLBACK)
    assert target == tmp_path / "a" / "b" / "mine.tsv"
    assert (tmp_path / "a" / "b").is_dir()
    assert not target.exists()


@pytest.mark.parametrize(
    "server_name", ["../../etc/passwd", "..", "/etc/shadow", "..\\..\\x", "a/b\\c", None, ""]
)
def test_hostile_server_name_lands_directly_inside_dest(tmp_path: Path, server_name: str) -> None:
    target = prepare_destination(tmp_path).target(server_name, fallback=FALLBACK)
    assert target.resolve().parent == tmp_path.resolve()


def test_symlink_at_the_target_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "r.tsv").symlink_to(outside / "victim.tsv")
    # The target stays the name inside dest; the engine's link/replace never follows it.
    assert prepare_destination(dest).target("r.tsv", fallback=FALLBACK) == dest / "r.tsv"


def test_dest_that_is_an_existing_file_is_the_target(tmp_path: Path) -> None:
    existing = tmp_path / "old.tsv"
    existing.write_bytes(b"x")
    assert prepare_destination(existing).target("server.tsv", fallback=FALLBACK) == existing


# --- existing files (pure) -------------------------------------------------------------------


def test_existing_policy_follows_the_flags() -> None:
    assert existing_policy(overwrite=False) is Existing.REFUSE
    assert existing_policy(overwrite=True) is Existing.REPLACE
    assert existing_policy(overwrite=False, skip_existing=True) is Existing.SKIP_IF_COMPLETE
    assert existing_policy(overwrite=True, skip_existing=True) is Existing.SKIP_IF_COMPLETE


def test_a_copy_is_complete_only_with_the_announced_size_and_listed_md5() -> None:
    assert is_complete_copy(local_size=10, announced_size=10)
    assert not is_complete_copy(local_size=9, announced_size=10)
    assert not is_complete_copy(local_size=None, announced_size=10)
    assert not is_complete_copy(local_size=10, announced_size=None)  # size unknown: fetch
    assert is_complete_copy(local_size=10, announced_size=10, local_md5="ab", expected_md5="AB ")
    assert not is_complete_copy(local_size=10, announced_size=10, local_md5="ab", expected_md5="cd")
    assert not is_complete_copy(local_size=10, announced_size=10, expected_md5="cd")


def test_the_name_alone_is_the_callers_else_the_servers_made_safe() -> None:
    assert Destination(Path("out"), "mine.tsv").name("server.tsv", fallback=FALLBACK) == "mine.tsv"
    assert Destination(Path("out")).name("../../etc/passwd", fallback=FALLBACK) == "passwd"
    assert Destination(Path("out")).name(None, fallback=FALLBACK) == FALLBACK
