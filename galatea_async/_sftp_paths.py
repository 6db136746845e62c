"""Pure naming rules for SFTP uploads: the date folder, remote names and paths."""

from __future__ import annotations

import hashlib
import re
from datetime import date

# Month names are fixed rather than taken from the locale, so the folder is the same everywhere.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_folder(day: date) -> str:
    """The folder name the vendor advises for uploads made on ``day``: ``2025-Feb-27``."""
    return f"{day.year:04d}-{_MONTHS[day.month - 1]}-{day.day:02d}"


def check_remote_name(name: str) -> str:
    """``name``, checked to be a plain remote file name (``ValueError`` if not)."""
    if not name or name in (".", "..") or "/" in name or "\x00" in name:
        raise ValueError(f"Invalid remote file name {name!r}: it must be a plain name without '/'")
    return name


def check_remote_folder(folder: str) -> str:
    """``folder`` normalised (no empty or ``.`` parts); ``ValueError`` if it climbs with ``..``.

    ``""`` stays ``""`` (the login directory); a leading ``/`` is kept.
    """
    if "\x00" in folder:
        raise ValueError(f"Invalid remote folder {folder!r}")
    leading = "/" if folder.startswith("/") else ""
    parts = [part for part in folder.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"Invalid remote folder {folder!r}: '..' is not allowed")
    return leading + "/".join(parts)


def remote_path(folder: str, name: str) -> str:
    """``name`` inside ``folder`` (a folder from ``check_remote_folder``)."""
    if not folder:
        return name
    return f"{folder}{name}" if folder.endswith("/") else f"{folder}/{name}"


def partial_name(name: str, *, local_name: str, size: int, modified_ns: int) -> str:
    """The hidden name ``name`` is written under until complete, the same for one local file.

    Derived from the local file's name, size and modification time, so a rerun finds the
    partial to resume and a different file (or a changed one) gets a partial of its own.
    """
    identity = f"{local_name}\x00{size}\x00{modified_ns}".encode("utf-8", "surrogateescape")
    return f".{name}.{hashlib.sha256(identity).hexdigest()[:12]}.part"


_PARTIAL_SUFFIX = re.compile(r"\.[0-9a-f]{12}\.part")


def is_partial_of(listed_name: str, name: str) -> bool:
    """Whether ``listed_name`` is a partial of ``name`` (written under ``partial_name``)."""
    prefix = f".{name}"
    return listed_name.startswith(prefix) and bool(
        _PARTIAL_SUFFIX.fullmatch(listed_name[len(prefix) :])
    )


def describe_remote(host: str, port: int, path: str) -> str:
    """A remote path for messages: ``2025-Feb-27/a.vcf on sftp.example:22``."""
    return f"{path or '.'} on {host}:{port}"


def is_listed_as(listed_name: str | None, name: str) -> bool:
    """Whether a name from ``files.list`` is ``name`` (the server may prefix the folder)."""
    listed = listed_name or ""
    return listed == name or listed.rsplit("/", 1)[-1] == name
