"""``read_order_folder``: an order's folder made, or opened without following a link and read once."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from galatea_async._download._order_folders import FolderState, read_order_folder
from galatea_async._download._partials import resumable_name, sidecar_of

ORDER = "0b1c2d3e-0000-4000-8000-000000000001"


def test_a_missing_folder_is_made_and_known_empty(tmp_path: Path) -> None:
    assert read_order_folder(tmp_path, ORDER, time.time()) == FolderState()
    assert (tmp_path / ORDER).is_dir()


def test_a_folder_is_read_once_for_its_files_sizes(tmp_path: Path) -> None:
    (tmp_path / ORDER).mkdir()
    (tmp_path / ORDER / "a.tsv").write_bytes(b"12345")
    (tmp_path / ORDER / "nested").mkdir()
    (tmp_path / ORDER / "link.tsv").symlink_to(tmp_path / ORDER / "a.tsv")
    state = read_order_folder(tmp_path, ORDER, time.time())
    assert state == FolderState(files={"a.tsv": 5})  # a link or a folder is not a file


def test_a_link_at_the_folder_is_refused_and_nothing_behind_it_is_touched(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stale = elsewhere / ".a.tsv.0123456789ab.part"
    stale.write_bytes(b"not ours")
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / ORDER).symlink_to(elsewhere)
    state = read_order_folder(tmp_path / "dest", ORDER, time.time())
    assert state.refusal is not None
    assert "symbolic link" in str(state.refusal) and ORDER in str(state.refusal)
    assert stale.read_bytes() == b"not ours"


def test_a_file_at_the_folders_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / ORDER).write_bytes(b"x")
    state = read_order_folder(tmp_path, ORDER, time.time())
    assert state.refusal is not None and "not a folder" in str(state.refusal)


def test_stale_temporaries_go_and_a_fresh_partial_is_kept_for_resuming(tmp_path: Path) -> None:
    folder = tmp_path / ORDER
    folder.mkdir()
    stale = folder / ".a.tsv.0123456789ab.part"
    stale.write_bytes(b"killed run")
    partial = folder / resumable_name("item")
    partial.write_bytes(b"half")
    sidecar = {"format": 1, "item": "item", "size": 10, "validator": '"v1"'}
    sidecar_of(partial).write_text(json.dumps(sidecar))
    state = read_order_folder(tmp_path, ORDER, time.time())
    assert state.partials and state.files == {}
    assert not stale.exists()
    assert partial.exists() and sidecar_of(partial).exists()
    os.utime(partial, (0, 0))  # a week old and more: no longer kept
    assert not read_order_folder(tmp_path, ORDER, time.time()).partials
    assert not partial.exists()


def test_a_folder_that_vanishes_and_reappears_each_time_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(*args: object, **kwargs: object) -> int:
        raise FileNotFoundError(2, "No such file or directory")

    def there(*args: object, **kwargs: object) -> None:
        raise FileExistsError(17, "File exists")

    monkeypatch.setattr(os, "open", gone)
    monkeypatch.setattr(os, "mkdir", there)
    state = read_order_folder(tmp_path, "a" * 36, time.time())
    assert state.refusal is not None and "run the sync again" in str(state.refusal)
