"""The record of finished downloads kept in a download-all folder, so a re-run skips them.

``.galatea-manifest.jsonl`` holds one JSON line per finished file: its key
(``<order_id>/<RESULT_TYPE>``), path relative to the folder, size and md5. A line is appended
and flushed as each file finishes, so the cost per file stays constant however large the batch,
and an interrupted run loses at most the line being written, which loading ignores. The file is
rewritten compactly (atomically) at the end of a run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["MANIFEST_NAME", "Manifest", "ManifestEntry", "file_digest"]

MANIFEST_NAME = ".galatea-manifest.jsonl"
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
        self._journal: IO[str] | None = None

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The folder's manifest; lines that cannot be read (a torn last line) are skipped."""
        entries: dict[str, ManifestEntry] = {}
        try:
            lines = (folder / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                data: Any = json.loads(line)
                entries[str(data["key"])] = ManifestEntry(
                    path=str(data["path"]), size=int(data["size"]), md5=str(data["md5"])
                )
            except (ValueError, KeyError, TypeError):
                continue
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
        """Add a finished file and append it to the manifest on disk."""
        relative = path.resolve().relative_to(self.folder.resolve()).as_posix()
        entry = ManifestEntry(path=relative, size=size, md5=md5)
        self.entries[key] = entry
        if self._journal is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._journal = self.path.open("a", encoding="utf-8")
        self._journal.write(_line(key, entry))
        self._journal.flush()
        return entry

    def close(self) -> None:
        """Rewrite the manifest compactly (one line per key) and atomically."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if not self.entries:
            return
        temporary = self.path.with_name(f"{MANIFEST_NAME}.{os.getpid()}.tmp")
        temporary.write_text(
            "".join(_line(key, entry) for key, entry in sorted(self.entries.items())),
            encoding="utf-8",
        )
        os.replace(temporary, self.path)


def _line(key: str, entry: ManifestEntry) -> str:
    return json.dumps({"key": key, **attrs.asdict(entry)}) + "\n"
