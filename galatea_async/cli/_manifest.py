"""The record of finished downloads kept in a download-all folder, so a re-run skips them.

``.galatea-manifest.json`` maps ``<order_id>/<RESULT_TYPE>`` to the file's path (relative to
the folder), size and md5. It is rewritten atomically after every finished file, so an
interrupted run loses at most the file in flight, which the download engine never leaves half
written anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import attrs

__all__ = ["MANIFEST_NAME", "Manifest", "ManifestEntry", "file_digest"]

MANIFEST_NAME = ".galatea-manifest.json"
_VERSION = 1
_CHUNK = 1 << 20


@attrs.frozen
class ManifestEntry:
    """A finished download: where it is, how big, and its md5."""

    path: str
    size: int
    md5: str


def file_digest(path: Path) -> tuple[int, str]:
    """The size and md5 (hex) of a file on disk."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class Manifest:
    """The finished downloads of one folder."""

    def __init__(self, folder: Path, entries: dict[str, ManifestEntry] | None = None) -> None:
        self.folder = folder
        self.entries: dict[str, ManifestEntry] = dict(entries or {})

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The folder's manifest; empty if there is none or it cannot be read."""
        try:
            data: Any = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
            entries = {
                str(key): ManifestEntry(
                    path=str(value["path"]), size=int(value["size"]), md5=str(value["md5"])
                )
                for key, value in data["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # A damaged manifest only costs downloads: start afresh rather than fail.
            return cls(folder)
        return cls(folder, entries)

    def finished(self, key: str) -> ManifestEntry | None:
        """The entry for ``key`` if its file is still there with the recorded size."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            size = (self.folder / entry.path).stat().st_size
        except OSError:
            return None
        return entry if size == entry.size else None

    def record(self, key: str, path: Path, size: int, md5: str) -> ManifestEntry:
        """Add a finished file and save the manifest."""
        entry = ManifestEntry(
            path=path.resolve().relative_to(self.folder.resolve()).as_posix(), size=size, md5=md5
        )
        self.entries[key] = entry
        self.save()
        return entry

    def save(self) -> None:
        """Write the manifest atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "version": _VERSION,
            "files": {key: attrs.asdict(entry) for key, entry in sorted(self.entries.items())},
        }
        temporary = self.path.with_name(f"{MANIFEST_NAME}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
