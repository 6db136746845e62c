"""The CLI's config file: where it lives, its mode, and how it is read back."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from galatea_async.cli._config import (
    ConfigFileError,
    _parse_flat,
    _render,
    config_path,
    read_config,
    write_config,
)


def test_config_lives_in_the_user_config_dir_not_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GALATEA_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    path = config_path()
    if sys.platform.startswith("linux"):
        assert path == tmp_path / "xdg" / "galatea" / "config.toml"
    assert path.parent != Path.cwd()


def test_explicit_path_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GALATEA_CONFIG", str(tmp_path / "from-env.toml"))
    assert config_path() == tmp_path / "from-env.toml"
    assert config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_written_config_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "config.toml"
    old_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        write_config(path, {"api_key": "k" * 32})
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_config(path) == {"api_key": "k" * 32}
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temporary left


def test_values_with_quotes_and_unicode_round_trip(tmp_path: Path) -> None:
    values = {"password": 'pa"ss\\wo\nrd\x7f é 😀', "email": "lab@example.com"}
    path = tmp_path / "config.toml"
    write_config(path, values)
    assert read_config(path) == values
    assert _parse_flat(_render(values)) == values  # the Python 3.10 reader agrees


def test_missing_config_reads_as_empty(tmp_path: Path) -> None:
    assert read_config(tmp_path / "absent.toml") == {}


def test_broken_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("api_key = [unterminated\n")
    with pytest.raises(ConfigFileError, match="galatea config clear"):
        read_config(path)


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('api_key = "abc"\nsomething_else = "x"\n')
    assert read_config(path) == {"api_key": "abc"}
