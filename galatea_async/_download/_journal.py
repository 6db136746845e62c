"""The journal ``results.sync`` keeps in its folder: which files are finished, and what they are.

``.galatea-manifest.jsonl`` holds one JSON line per finished file: its key
(``<order_id>/<RESULT_TYPE>``, or ``<order_id>/PDF_REPORT/<report_id>`` for one PDF report),
its path relative to the folder, size and md5. A line is appended, and flushed, only once its
file is durable, so the cost per file stays constant however large the folder, and a killed run
loses at most the line being written, which loading ignores. The journal is rewritten compactly
(atomically) at the end of a run. (The ``galatea results download-all`` manifest of earlier
versions has the same name and lines, so it is read as it is.)
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["JOURNAL_NAME", "Journal", "JournalEntry"]

JOURNAL_NAME = ".galatea-manifest.jsonl"


@attrs.frozen
class JournalEntry:
    """A finished file: where it is (relative to the folder), how big, and its md5."""

    path: str
    size: int
    md5: str


class Journal:
    """The finished files of one folder (blocking I/O: use it from a worker thread or briefly)."""

    def __init__(self, folder: Path, entries: dict[str, JournalEntry] | None = None) -> None:
        self.folder = folder
        self.entries: dict[str, JournalEntry] = dict(entries or {})
        self._appending: IO[str] | None = None

    @property
    def path(self) -> Path:
        """The journal file."""
        return self.folder / JOURNAL_NAME

    @classmethod
    def load(cls, folder: Path) -> Journal:
        """The folder's journal; lines that cannot be read (a torn last line) are skipped."""
        entries: dict[str, JournalEntry] = {}
        try:
            lines = (folder / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        for line in lines:
            try:
                data: Any = json.loads(line)
                entries[str(data["key"])] = JournalEntry(
                    path=str(data["path"]), size=int(data["size"]), md5=str(data["md5"])
                )
            except (ValueError, KeyError, TypeError):
                continue
        return cls(folder, entries)

    def record(self, key: str, path: Path, size: int, md5: str) -> JournalEntry:
        """Add a finished file and append its line to the journal on disk."""
        entry = JournalEntry(path=path.relative_to(self.folder).as_posix(), size=size, md5=md5)
        self.entries[key] = entry
        if self._appending is None:
            # Private like the files it describes (mode 0600).
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._appending = os.fdopen(fd, "a", encoding="utf-8")
        self._appending.write(_line(key, entry))
        self._appending.flush()
        return entry

    def close(self) -> None:
        """Rewrite the journal compactly (one line per key), atomically and durably."""
        if self._appending is not None:
            self._appending.close()
            self._appending = None
        if not self.entries:
            return
        temporary = self.path.with_name(f"{JOURNAL_NAME}.{os.getpid()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("".join(_line(k, e) for k, e in sorted(self.entries.items())))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _line(key: str, entry: JournalEntry) -> str:
    return json.dumps({"key": key, **attrs.asdict(entry)}) + "\n"
