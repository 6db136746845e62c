"""Ids that become paths, and order folders inside ``dest``: the rules, on real folders."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from galatea_async import GalateaError
from galatea_async._download._confinement import describe_id, is_canonical_id
from galatea_async._download._order_folders import read_order_folder

ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    "value",
    [ID.upper(), "{" + ID + "}", "urn:uuid:" + ID, ID.replace("-", ""), "../" + ID[3:], "", 7],
)
def test_only_the_canonical_text_of_a_uuid_is_an_id(value: object) -> None:
    assert not is_canonical_id(value)
    assert is_canonical_id(ID)


@pytest.mark.parametrize(
    "value",
    [
        ID,
        ID + "\n",
        ID[:8] + "_" + ID[9:],
        ID[:-1] + "\u0660",  # an Arabic-Indic zero: a digit, not an ASCII one
        ID[:-1] + "g",
        "0x" + ID[2:],
        ID[:8] + ID[9:] + "-",
        str(uuid.UUID(int=0)),
        str(uuid.UUID(int=(1 << 128) - 1)),
    ],
)
def test_an_id_is_canonical_exactly_when_it_is_how_uuid_spells_itself(value: str) -> None:
    try:
        spelled = str(uuid.UUID(value)) == value
    except ValueError:
        spelled = False
    assert is_canonical_id(value) is spelled


def test_an_id_is_shown_only_when_it_is_a_uuid() -> None:
    assert describe_id(ID.upper()) == f"a UUID written another way, {ID}"
    shown = describe_id("\x1b]0;title\x07../../x")
    assert "\x1b" not in shown and "../" not in shown and "17 characters" in shown


def test_a_missing_order_folder_is_created_inside_dest(tmp_path: Path) -> None:
    assert read_order_folder(tmp_path, ID, time.time()).refusal is None
    assert (tmp_path / ID).is_dir()


@pytest.mark.parametrize("link", ["outside", "inside", "dangling"])
def test_a_link_at_an_order_folder_is_refused_and_never_followed(tmp_path: Path, link: str) -> None:
    dest = tmp_path / "dest"
    (dest / "other").mkdir(parents=True)
    target = {"outside": tmp_path, "inside": dest / "other", "dangling": tmp_path / "nothing"}
    (dest / ID).symlink_to(target[link])
    refusal = read_order_folder(dest, ID, time.time()).refusal
    assert isinstance(refusal, GalateaError) and "symbolic link" in str(refusal)
    assert not os.path.lexists(tmp_path / "nothing")


def test_a_file_at_an_order_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / ID).write_text("")
    refusal = read_order_folder(tmp_path, ID, time.time()).refusal
    assert isinstance(refusal, GalateaError) and "not a folder" in str(refusal)
