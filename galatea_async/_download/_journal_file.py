"""The sync journal's SQLite file: a regular file of the folder's own, checked, or set aside.

SQLite follows symbolic links and writes its ``-journal``, ``-wal`` and ``-shm`` files beside
the database by name, so before SQLite sees the folder:

- the database is opened here first without following a link or blocking on a FIFO
  (``open_regular``): anything but a regular file is refused with ``GalateaError``; one with
  other names (hard links, perhaps outside ``dest``) is first copied to a file of its own;
  after SQLite opened it, its name must still be that same file;
- a side file that is not a regular file of its own (a planted link, a FIFO, a hard link) is
  removed, never written through;
- the database counts only when it is ours: its application id, schema version and exact
  schema (no trigger, no view), and ``PRAGMA quick_check`` (which also checks every row
  against the schema's ``CHECK`` constraints: text where text belongs, bounded lengths). A
  damaged, foreign or oversized one (over ``MAX_STORE_BYTES``) is set aside under a unique
  name beside it, with a warning, and a fresh one is made;
- ``trusted_schema`` is off, no extension is loaded, and no value over 64 KiB is read.

The database runs in WAL mode with ``synchronous=FULL``: a commit is one append and one fsync
of the WAL (``_journal_connection.py`` batches them), and a row survives a power cut once its
commit returned; a new database's name is made durable (its folder synced) before use.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import re
import secrets
import sqlite3
import stat
from pathlib import Path

from galatea_async._download._durability import fsync_directory
from galatea_async.errors import GalateaError

__all__ = [
    "JOURNAL_NAME",
    "MAX_STORE_BYTES",
    "open_regular",
    "open_store",
    "open_store_for_reading",
    "remove_stale_copies",
]

logger = logging.getLogger("galatea_async")

JOURNAL_NAME = ".galatea-journal.sqlite3"
# Far above any real journal: a file costs about 300 bytes with its outcome rows.
MAX_STORE_BYTES = 4 << 30
MAX_VALUE_BYTES = 64 << 10
# The page cache: 2 MiB costs a sync no more CPU or bytes written than 8 MiB at 200,000 files
# (benchmarks/journal_store.py --cache-kib), and the process's memory stays flat by the rest.
CACHE_KIB = 2 << 10

_SIDE_FILES = ("-journal", "-wal", "-shm")
_APPLICATION_ID = 0x47414C4A  # "GALJ"
_SCHEMA_VERSION = 1
_TEXT = "typeof({0}) = 'text' AND length({0}) <= {1}"
_SCHEMA = (
    f"""CREATE TABLE files (
        key TEXT PRIMARY KEY NOT NULL CHECK ({_TEXT.format("key", 1024)}),
        path TEXT NOT NULL CHECK ({_TEXT.format("path", 1024)}),
        path_hash INTEGER NOT NULL CHECK (typeof(path_hash) = 'integer'),
        size INTEGER NOT NULL CHECK (typeof(size) = 'integer' AND size >= 0),
        md5 TEXT NOT NULL CHECK ({_TEXT.format("md5", 64)})
    ) WITHOUT ROWID""",
    # By order first: the rows of one order folder share index pages, as they share the
    # primary key's, so a commit writes few pages however large the journal.
    "CREATE UNIQUE INDEX files_by_path ON files (substr(key, 1, 36), path_hash)",
    "CREATE TABLE runs (number INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE)",
    f"""CREATE TABLE outcomes (
        run INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        position INTEGER NOT NULL,
        order_id TEXT NOT NULL CHECK ({_TEXT.format("order_id", 64)}),
        result_type TEXT NOT NULL CHECK ({_TEXT.format("result_type", 1024)}),
        pdf_request_id TEXT CHECK (
            pdf_request_id IS NULL OR ({_TEXT.format("pdf_request_id", 64)})),
        path TEXT NOT NULL CHECK ({_TEXT.format("path", 1024)}),
        size INTEGER NOT NULL CHECK (typeof(size) = 'integer' AND size >= 0),
        md5 TEXT CHECK (md5 IS NULL OR ({_TEXT.format("md5", 64)})),
        PRIMARY KEY (run, kind, position)
    ) WITHOUT ROWID""",
)
_NOT_FOLLOWED = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_NOT_FOLLOWED |= getattr(os, "O_CLOEXEC", 0)
_STALE_COPY = re.compile(r"\.galatea-(journal\.sqlite3|manifest\.jsonl)\.[0-9a-f]{16}\.tmp")


class _Unusable(Exception):
    """The database is not one this journal can trust; why, in words."""


def open_regular(path: Path, flags: int, what: str) -> int:
    """A descriptor of the regular file at ``path``; ``GalateaError`` for a symbolic link, a
    FIFO, a device or a folder (never follows, never blocks on a FIFO); ``FileNotFoundError``
    (and, with ``O_EXCL``, ``FileExistsError``) as it is."""
    try:
        fd = os.open(path, flags | _NOT_FOLLOWED, 0o600)
    except (FileNotFoundError, FileExistsError):
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


def open_store(path: Path) -> sqlite3.Connection:
    """The journal database at ``path`` (created if missing), checked; one that cannot be
    trusted is set aside and a fresh one made. ``GalateaError`` when ``path`` is not a regular
    file or the file system refuses (blocking)."""
    if not path.parent.is_dir():
        raise GalateaError(f"cannot open the sync journal {path}: its folder does not exist")
    for _ in range(2):
        _remove_foreign_side_files(path)
        fd = _own_regular_file(path)
        try:
            size = os.fstat(fd).st_size
            if size > MAX_STORE_BYTES:
                raise _Unusable(f"{size} bytes, more than a journal ever holds")
            return _checked_connection(path, fd)
        except _Unusable as exc:
            _set_aside(path, str(exc))
        finally:
            os.close(fd)
    raise GalateaError(f"cannot make a usable sync journal at {path}; remove it and run again")


def open_store_for_reading(path: Path) -> sqlite3.Connection:
    """The existing journal database at ``path``, for reading rows (not checked: the caller
    trusts no row). ``FileNotFoundError`` when it is gone; ``GalateaError`` when it is not a
    regular file."""
    _remove_foreign_side_files(path)
    os.close(open_regular(path, os.O_RDONLY, "the sync journal"))
    connection = sqlite3.connect(
        f"{Path(path).absolute().as_uri()}?mode=rw", uri=True, isolation_level=None
    )
    _configure(connection)
    return connection


def remove_stale_copies(folder: Path) -> None:
    """Remove the temporaries a killed run left (a copy of a hard-linked journal, or an earlier
    version's compaction): regular files of exactly such a name."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if _STALE_COPY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _checked_connection(path: Path, fd: int) -> sqlite3.Connection:
    """SQLite's connection to the file open as ``fd``, verified ours (or made ours if empty)."""
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise GalateaError(f"cannot open the sync journal {path}: {exc}") from None
    try:
        _configure(connection)
        if not _is_same_file(path, fd):
            raise GalateaError(f"the sync journal {path} was replaced while it was opened")
        if _is_empty(connection):
            _create_schema(connection)
        else:
            _verify(connection)
        connection.execute("PRAGMA journal_mode=WAL").fetchall()
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    except sqlite3.OperationalError as exc:
        connection.close()
        raise GalateaError(f"cannot open the sync journal {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise _Unusable(str(exc)) from None
    except BaseException:
        connection.close()
        raise
    return connection


def _configure(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA trusted_schema=OFF")
    connection.execute("PRAGMA cell_size_check=ON")
    set_limit = getattr(connection, "setlimit", None)  # Python 3.11+
    if set_limit is not None:  # a planted giant value is never read whole
        set_limit(getattr(sqlite3, "SQLITE_LIMIT_LENGTH", 0), MAX_VALUE_BYTES)


def _is_same_file(path: Path, fd: int) -> bool:
    try:
        named = os.lstat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return stat.S_ISREG(named.st_mode) and (named.st_dev, named.st_ino) == (
        opened.st_dev,
        opened.st_ino,
    )


def _is_empty(connection: sqlite3.Connection) -> bool:
    (count,) = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    return int(count) == 0 and application_id == 0


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN")
    for statement in _SCHEMA:
        connection.execute(statement)
    connection.execute(f"PRAGMA application_id={_APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _verify(connection: sqlite3.Connection) -> None:
    """Raise ``_Unusable`` unless the database is this journal's, intact."""
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if (application_id, version) != (_APPLICATION_ID, _SCHEMA_VERSION):
        raise _Unusable("not a results.sync journal of this version")
    if _schema_of(connection) != _expected_schema():
        raise _Unusable("its tables are not the journal's")
    if connection.execute("PRAGMA quick_check(1)").fetchall() != [("ok",)]:
        raise _Unusable("it failed SQLite's integrity check")


def _schema_of(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    return [tuple(row) for row in connection.execute(query)]


@functools.cache
def _expected_schema() -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(":memory:")) as connection:
        for statement in _SCHEMA:
            connection.execute(statement)
        return _schema_of(connection)


def _remove_foreign_side_files(path: Path) -> None:
    """Remove each side file of ``path`` that is not a regular file of its own: SQLite would
    write through a link or into another name of a hard-linked file."""
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            found = os.lstat(side)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise GalateaError(f"cannot inspect {side}: {exc.strerror}") from None
        if stat.S_ISDIR(found.st_mode):
            raise _not_regular(side, "the sync journal's side file", "a folder")
        if not stat.S_ISREG(found.st_mode) or found.st_nlink > 1:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(side)


def _own_regular_file(path: Path) -> int:
    """A descriptor of the regular file at ``path`` (created if missing) that has no other
    name: one with other names is first replaced by a copy of its own."""
    try:
        fd = open_regular(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, "the sync journal")
    except FileExistsError:
        fd = open_regular(path, os.O_RDWR, "the sync journal")
    else:
        fsync_directory(path.parent)  # the new name, as durable as the rows committed into it
        return fd
    if os.fstat(fd).st_nlink == 1:
        return fd
    os.close(fd)
    _copy_to_own_file(path)
    return open_regular(path, os.O_RDWR, "the sync journal")


def _copy_to_own_file(path: Path) -> None:
    """Replace ``path`` (which has other names) by a copy of its bytes with no other name,
    through an exclusive temporary of unpredictable name."""
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        source = open_regular(path, os.O_RDONLY, "the sync journal")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOT_FOLLOWED
            target = os.open(temporary, flags, 0o600)
            try:
                copied = 0
                while copied <= MAX_STORE_BYTES and (block := os.read(source, 1 << 20)):
                    os.write(target, block)
                    copied += len(block)
                os.fsync(target)
            finally:
                os.close(target)
        finally:
            os.close(source)
        os.replace(temporary, path)
    except OSError as exc:
        raise GalateaError(f"cannot copy the sync journal {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _set_aside(path: Path, reason: str) -> None:
    """Rename an untrusted database (and its side files) to a unique name beside it."""
    aside = path.with_name(f"{path.name}.unusable-{secrets.token_hex(4)}")
    try:
        os.replace(path, aside)
        for suffix in _SIDE_FILES:
            with contextlib.suppress(FileNotFoundError):
                os.replace(path.with_name(path.name + suffix), aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise GalateaError(
            f"the sync journal {path} cannot be used ({reason}) nor set aside "
            f"({exc.strerror}); remove it and run again"
        ) from None
    logger.warning(
        "results.sync: the journal %s cannot be used (%s); it was set aside as %s, and this run "
        "starts with an empty journal: a file already in place is kept only if it is found "
        "complete",
        path,
        reason,
        aside.name,
    )
