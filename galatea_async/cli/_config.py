"""The CLI's settings file: where it lives, how it is read, and how it is written safely.

The file is TOML with flat string keys. It lives in the user's config directory (never the
working directory, unlike the vendor's ``config.txt``), is written atomically and is created
with mode 0600 because it may hold an API key or a password.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

__all__ = [
    "CONFIG_KEYS",
    "ConfigFileError",
    "config_path",
    "read_config",
    "remove_config",
    "write_config",
]

CONFIG_KEYS = (
    "api_key",
    "email",
    "password",
    "base_url",
    "sftp_host",
    "sftp_user",
    "sftp_keyfile",
    "sftp_known_hosts",
    "download_folder",
)

_FILE_MODE = 0o600
_DIRECTORY_MODE = 0o700


class ConfigFileError(Exception):
    """The config file exists but cannot be read as the CLI's settings."""


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: ``--config``, else ``$GALATEA_CONFIG``, else the user config dir."""
    if explicit:
        return Path(explicit).expanduser()
    from_environment = os.environ.get("GALATEA_CONFIG")
    if from_environment:
        return Path(from_environment).expanduser()
    # click honours $XDG_CONFIG_HOME on Linux and the platform's own place elsewhere.
    return Path(click.get_app_dir("galatea")) / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    """The settings stored in ``path``; an empty mapping if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigFileError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        values = _parse(text)
    except ValueError as error:
        raise ConfigFileError(
            f"config file {path} is not valid TOML ({error}); fix it or run `galatea config clear`"
        ) from None
    return {key: value for key, value in values.items() if key in CONFIG_KEYS and value}


def write_config(path: Path, values: Mapping[str, str]) -> None:
    """Replace ``path`` with ``values``, atomically, readable by the owner only."""
    path.parent.mkdir(mode=_DIRECTORY_MODE, parents=True, exist_ok=True)
    text = _render(values)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Created 0600 from the start: a chmod after writing would leave a window where the
    # secrets are readable by others.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_config(path: Path) -> bool:
    """Delete the config file; whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _render(values: Mapping[str, str]) -> str:
    lines = ["# galatea CLI settings (written by `galatea config set`)"]
    for key in CONFIG_KEYS:
        value = values.get(key)
        if value:
            lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    # A JSON string (non-ASCII kept literal, so no surrogate escapes) is a valid TOML basic
    # string once DEL, which JSON leaves bare, is escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _parse(text: str) -> dict[str, str]:
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            loaded = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(str(error)) from None
        return {key: str(value) for key, value in loaded.items() if isinstance(value, str)}
    return _parse_flat(text)


def _parse_flat(text: str) -> dict[str, str]:
    # Python 3.10 has no tomllib: read back the flat ``key = "string"`` form _render writes.
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"line {number} has no '='")
        try:
            decoded = json.loads(value.strip())
        except json.JSONDecodeError:
            raise ValueError(f"line {number} is not a quoted string") from None
        if isinstance(decoded, str):
            values[key.strip()] = decoded
    return values
