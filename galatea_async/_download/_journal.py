"""The journal ``results.sync`` keeps in its folder: which files are finished, and what they are.

``.galatea-manifest.jsonl`` holds one JSON line per finished file: its key
(``<order_id>/<RESULT_TYPE>``, or ``<order_id>/PDF_REPORT/<report_id>`` for one PDF report),
its path relative to the folder, size and md5. A line is appended, and flushed, only once its
file is durable, so the cost per file stays constant however large the folder, and a killed run
loses at most the line being written, which loading ignores. The journal is rewritten compactly
(atomically) at the end of a run. The code calls it the journal; the file keeps the name it has
in users' folders already (``galatea results download-all`` wrote the same lines under it), so
a folder synced before is still known and nothing in it is fetched again.

The folder may have been tampered with, so the journal trusts nothing it reads:

- a line counts only when its path is its key's own file, ``<order_id>/<name>`` in that key's
  order folder (``is_trusted_line``); any other line, and any line that is not valid UTF-8 JSON,
  is skipped alone, so its file is fetched again;
- the journal must be a regular file: it is opened without following a symbolic link and
  without blocking (a FIFO), and anything else is refused with ``GalateaError``; one with
  other names (hard links, perhaps outside ``dest``) is rewritten as a file of its own before
  anything is appended to it;
- reading is bounded: at most ``MAX_JOURNAL_BYTES`` in all and ``MAX_LINE_BYTES`` a line;
- one path has one key: a key recorded for a path drops any other key of that path;
- the compaction temporary has an unpredictable name, is created exclusively and never follows
  a link.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from galatea_async._download._confinement import is_canonical_id
from galatea_async._download._names import is_one_component, name_key
from galatea_async.errors import GalateaError

__all__ = [
    "JOURNAL_NAME",
    "MAX_JOURNAL_BYTES",
    "MAX_LINE_BYTES",
    "Journal",
    "JournalEntry",
    "is_trusted_line",
    "open_regular",
]

JOURNAL_NAME = ".galatea-manifest.jsonl"
# Far above any real journal: a line is about 200 bytes, so a million files fit.
MAX_JOURNAL_BYTES = 256 << 20
MAX_LINE_BYTES = 8 << 10

_NOT_FOLLOWED = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_NOT_FOLLOWED |= getattr(os, "O_CLOEXEC", 0)
_COMPACTION_TEMPORARY = re.compile(re.escape(JOURNAL_NAME) + r"\.[0-9a-f]{16}\.tmp")


@attrs.frozen
class JournalEntry:
    """A finished file: where it is (relative to the folder), how big, and its md5."""

    path: str
    size: int
    md5: str


def is_trusted_line(key: str, path: str) -> bool:
    """Whether a line may say that ``key``'s file is at ``path``: ``<order_id>/<name>``, with
    the key's own order id and a single plain name (relative, normalised, inside ``dest``)."""
    order_id = key.split("/", 1)[0]
    folder, separator, name = path.partition("/")
    return (
        is_canonical_id(order_id)
        and folder == order_id
        and separator == "/"
        and is_one_component(name)
        and name == name.strip()
    )


def open_regular(path: Path, flags: int, what: str) -> int:
    """A descriptor of the regular file at ``path``; ``GalateaError`` for a symbolic link, a
    FIFO, a device or a folder (never follows, never blocks on a FIFO); ``FileNotFoundError``
    as it is."""
    try:
        fd = os.open(path, flags | _NOT_FOLLOWED, 0o600)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _not_regular(path, what, "a symbolic link") from None
        if exc.errno in (errno.ENXIO, errno.EISDIR):
            raise _not_regular(path, what, "not a regular file") from None
        raise GalateaError(f"cannot open {what} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_regular(path, what, "not a regular file")
    return fd


def _not_regular(path: Path, what: str, kind: str) -> GalateaError:
    return GalateaError(
        f"{what} {path} is {kind}; results.sync uses only a regular file there and never "
        f"follows a link: remove {path.name} (the next run creates it afresh) and run again"
    )


class Journal:
    """The finished files of one folder (blocking I/O: use it from a worker thread or briefly)."""

    def __init__(self, folder: Path, entries: dict[str, JournalEntry] | None = None) -> None:
        self.folder = folder
        self.entries: dict[str, JournalEntry] = {}
        self._key_of_path: dict[str, str] = {}
        self._appending: int | None = None
        self._append_failed = False
        for key, entry in (entries or {}).items():
            self._remember(key, entry)

    @property
    def path(self) -> Path:
        """The journal file."""
        return self.folder / JOURNAL_NAME

    @classmethod
    def load(cls, folder: Path) -> Journal:
        """The folder's journal; lines that are not trusted or cannot be read are skipped.

        ``GalateaError`` if the journal is not a regular file. A compaction temporary that a
        killed run left is removed.
        """
        _remove_stale_compactions(folder)
        journal = cls(folder)
        try:
            fd = open_regular(folder / JOURNAL_NAME, os.O_RDONLY, "the sync journal")
        except FileNotFoundError:
            return journal
        with os.fdopen(fd, "rb") as handle:
            for key, entry in _entries(handle):
                journal._remember(key, entry)
        return journal

    def record(self, key: str, path: str, size: int, md5: str) -> JournalEntry:
        """Add a finished file (``path`` relative to the folder) and append its line.

        ``ValueError`` for a path that is not ``key``'s own. If appending fails the entry is
        still kept, and written by ``close``.
        """
        if not is_trusted_line(key, path):
            raise ValueError(f"{path!r} is not a place for {key!r}")
        entry = JournalEntry(path=path, size=size, md5=md5)
        self._remember(key, entry)
        if not self._append_failed:
            try:
                if self._appending is None:
                    self._appending = self._open_for_appending()
                os.write(self._appending, _line(key, entry).encode("utf-8"))
            except (OSError, GalateaError):
                self._append_failed = True  # close() still writes every entry
        return entry

    def close(self) -> None:
        """Rewrite the journal compactly (one line per key), atomically and durably."""
        if self._appending is not None:
            os.close(self._appending)
            self._appending = None
        if self.entries:
            self._rewrite()

    def _open_for_appending(self) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        fd = open_regular(self.path, flags, "the sync journal")
        if os.fstat(fd).st_nlink > 1:
            # Another name (perhaps outside dest) would see every line: write a file of our own.
            os.close(fd)
            self._rewrite()
            fd = open_regular(self.path, flags, "the sync journal")
        return fd

    def _rewrite(self) -> None:
        """Replace the journal by one line per entry, through an exclusive temporary."""
        temporary = self.path.with_name(f"{JOURNAL_NAME}.{secrets.token_hex(8)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOT_FOLLOWED
            with os.fdopen(os.open(temporary, flags, 0o600), "w", encoding="utf-8") as out:
                out.write("".join(_line(k, e) for k, e in sorted(self.entries.items())))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            raise GalateaError(
                f"cannot write the sync journal {self.path}: {exc.strerror}; the files are "
                "in place, and the next run checks them again"
            ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def _remember(self, key: str, entry: JournalEntry) -> None:
        previous = self.entries.pop(key, None)
        if previous is not None:
            self._key_of_path.pop(name_key(previous.path), None)
        other = self._key_of_path.pop(name_key(entry.path), None)
        if other is not None:
            del self.entries[other]  # one path, one key: the latest line says whose it is
        self.entries[key] = entry
        self._key_of_path[name_key(entry.path)] = key


def _entries(handle: IO[bytes]) -> Iterator[tuple[str, JournalEntry]]:
    """The trusted entries of a journal, read within ``MAX_JOURNAL_BYTES`` and
    ``MAX_LINE_BYTES`` a line; a line that is too long, not UTF-8, not JSON or untrusted is
    skipped alone."""
    remaining = MAX_JOURNAL_BYTES
    while remaining > 0:
        raw = handle.readline(min(MAX_LINE_BYTES + 1, remaining))
        if not raw:
            return
        remaining -= len(raw)
        if len(raw) > MAX_LINE_BYTES:
            if not raw.endswith(b"\n"):
                remaining -= _skip_line(handle, remaining)
            continue
        parsed = _parse(raw)
        if parsed is not None and is_trusted_line(parsed[0], parsed[1].path):
            yield parsed


def _skip_line(handle: IO[bytes], at_most: int) -> int:
    """Read past the rest of an overlong line (reading ``at_most`` bytes); how many it took."""
    used = 0
    while used < at_most:
        piece = handle.readline(min(MAX_LINE_BYTES, at_most - used))
        used += len(piece)
        if not piece or piece.endswith(b"\n"):
            break
    return used


def _parse(raw: bytes) -> tuple[str, JournalEntry] | None:
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        key, path = data["key"], data["path"]
        size, md5 = data["size"], data["md5"]
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(value, str) for value in (key, path, md5)):
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None
    return key, JournalEntry(path=path, size=size, md5=md5)


def _remove_stale_compactions(folder: Path) -> None:
    """Remove compaction temporaries a killed run left: regular files of that exact name."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if _COMPACTION_TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _line(key: str, entry: JournalEntry) -> str:
    return json.dumps({"key": key, **attrs.asdict(entry)}) + "\n"
