"""Ids that become paths, and folders inside ``dest``: the rules, on real folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from galatea_async import GalateaError
from galatea_async._download._confinement import (
    confined_directory,
    describe_id,
    is_canonical_id,
    is_confined,
)

ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    "value",
    [ID.upper(), "{" + ID + "}", "urn:uuid:" + ID, ID.replace("-", ""), "../" + ID[3:], "", 7],
)
def test_only_the_canonical_text_of_a_uuid_is_an_id(value: object) -> None:
    assert not is_canonical_id(value)
    assert is_canonical_id(ID)


def test_an_id_is_shown_only_when_it_is_a_uuid() -> None:
    assert describe_id(ID.upper()) == f"a UUID written another way, {ID}"
    shown = describe_id("\x1b]0;title\x07../../x")
    assert "\x1b" not in shown and "../" not in shown and "17 characters" in shown


def test_a_folder_is_confined_only_at_its_own_place() -> None:
    assert is_confined("/d", "/d/a", "a")
    assert not is_confined("/d", "/elsewhere", "a")
    assert not is_confined("/d", "/d/b", "a")


def test_a_missing_order_folder_is_created_inside_dest(tmp_path: Path) -> None:
    assert confined_directory(tmp_path, ID) == tmp_path / ID
    assert (tmp_path / ID).is_dir()


@pytest.mark.parametrize("link", ["outside", "inside", "dangling"])
def test_a_link_at_an_order_folder_is_refused_and_never_followed(tmp_path: Path, link: str) -> None:
    dest = tmp_path / "dest"
    (dest / "other").mkdir(parents=True)
    target = {"outside": tmp_path, "inside": dest / "other", "dangling": tmp_path / "nothing"}
    (dest / ID).symlink_to(target[link])
    with pytest.raises(GalateaError, match="symbolic link"):
        confined_directory(dest, ID)
    assert not os.path.lexists(tmp_path / "nothing")


def test_a_file_at_an_order_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / ID).write_text("")
    with pytest.raises(GalateaError, match="not a folder"):
        confined_directory(tmp_path, ID)
