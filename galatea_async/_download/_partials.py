"""Partial downloads kept for the next run, their sidecars, and the rule for stale ones.

A download that keeps its partial (``DownloadJob.keep_partial``: ``results.sync`` and so
``download-all``) writes under a name decided by the item alone, ``.{item}.{12 hex}.part`` in
its folder, so the next run finds it; beside it, ``<that name>.json``, a sidecar of a few
hundred bytes recording what the bytes are a prefix of: the item, the file's size and its
validator (a strong ETag, else Last-Modified). Interrupted (Ctrl-C, SIGTERM, a crash, a lost
network), the partial stays; the next run asks for the rest with ``Range`` + ``If-Range``, and
a server whose file changed answers with the whole file, which replaces it.

A sidecar is a file anyone with access to the folder may have written: it is read only if it
is a regular file (opened ``O_NOFOLLOW``), at most ``MAX_SIDECAR_BYTES`` long, and well formed;
otherwise its partial is not trusted. The cleanup rule (``keeps_temporary``): in a folder
really inside the destination, a temporary file of the SDK's exact pattern is removed unless
it is a partial younger than ``STALE_AFTER_SECONDS`` with a valid sidecar naming its item, or
that partial's sidecar.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from pathlib import Path

import attrs

from galatea_async._download._ranges import BodyInfo, Resumption, judge_resumed

__all__ = [
    "MAX_SIDECAR_BYTES",
    "STALE_AFTER_SECONDS",
    "Coverage",
    "FoundPartial",
    "PartialValidators",
    "continues_partial",
    "find_partial",
    "keeps_temporary",
    "open_partial",
    "read_sidecar",
    "remove_partial",
    "remove_partial_sidecar",
    "remove_regular_at",
    "resumable_name",
    "sidecar_of",
    "validators_for",
    "write_sidecar",
]

# Any temporary file of the SDK: a random one (``.{name}.{12 hex}.part``), a kept partial of
# the same shape, and a partial's sidecar (``.part.json``).
TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.part(?:\.json)?", re.DOTALL)
MAX_SIDECAR_BYTES = 4096
# A partial older than a week is unlikely to be resumed (the server's file has probably
# changed); it only costs disk.
STALE_AFTER_SECONDS = 7 * 24 * 3600
_STEM_BYTES = 200
_SIDECAR_FORMAT = 1
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
# What a partial's name keeps of its item: no separator, so never a path of its own.
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@attrs.frozen
class PartialValidators:
    """What a partial is a prefix of: the item it belongs to, the size and validator of the
    server's file when its bytes were written."""

    item: str
    size: int
    validator: str


def validators_for(item: str, info: BodyInfo) -> PartialValidators | None:
    """What a partial of the file ``info`` announces would be kept as, or None when the
    server could not resume it (no ranges, no validator, no size, or an encoded body)."""
    if not info.accepts_ranges or info.validator is None or info.total is None or info.encoded:
        return None
    return PartialValidators(item=item, size=info.total, validator=info.validator)


def continues_partial(answer: BodyInfo, validators: PartialValidators, offset: int) -> bool:
    """Whether ``answer`` to ``Range: bytes=offset-`` continues a partial of that version."""
    recorded = BodyInfo(
        status=200, start=0, length=validators.size, total=validators.size,
        validator=validators.validator, accepts_ranges=True, encoding="identity",
        server_name=None,
    )  # fmt: skip
    return judge_resumed(recorded, answer, offset) is Resumption.APPEND


class Coverage:
    """Which bytes of a partial are written: merged ``[start, end)`` runs.

    Parts in flight leave a few gaps at most, so the runs stay few whatever the file's size.
    """

    def __init__(self, prefix: int = 0) -> None:
        self._runs: list[tuple[int, int]] = [(0, prefix)] if prefix else []

    def add(self, start: int, end: int) -> None:
        """Count ``[start, end)`` as written."""
        runs: list[tuple[int, int]] = []
        for run in sorted([*self._runs, (start, end)]):
            if runs and run[0] <= runs[-1][1]:
                runs[-1] = (runs[-1][0], max(runs[-1][1], run[1]))
            else:
                runs.append(run)
        self._runs = runs

    def clip(self, size: int) -> None:
        """Forget what lies at or past ``size`` (the file was cut there)."""
        self._runs = [(a, min(b, size)) for a, b in self._runs if a < size]

    @property
    def prefix(self) -> int:
        """How many bytes from byte 0 are written without a gap."""
        return self._runs[0][1] if self._runs and self._runs[0][0] == 0 else 0


def open_partial(path: Path, validators: PartialValidators, offset: int) -> int:
    """A descriptor to write the partial at ``path``: the kept one cut to ``offset`` bytes, or
    (``offset == 0``) a new one with its sidecar, anything there before removed (blocking)."""
    if offset:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | _NO_FOLLOW)
        status = os.fstat(fd)
        # A second name (a hard link) would carry the writes to a file outside the folder.
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1 or status.st_size < offset:
            os.close(fd)
            raise FileNotFoundError(f"the partial download {path} changed while it was resumed")
        os.ftruncate(fd, offset)
        return fd
    remove_partial(path)
    write_sidecar(path, validators)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600)


@attrs.frozen
class FoundPartial:
    """A partial a previous run kept: its path, how many bytes it holds, and of what."""

    path: Path
    size: int
    validators: PartialValidators


def resumable_name(item: str) -> str:
    """The partial's name for ``item`` (a name unique within its folder): the same every run,
    and always one plain component of that folder, whatever text a server put in ``item``."""
    readable = _NOT_IN_NAME.sub("", item)
    stem = readable.encode("utf-8")[:_STEM_BYTES].decode("utf-8", "ignore")
    digest = hashlib.sha256(item.encode("utf-8")).hexdigest()[:12]
    return f".{stem}.{digest}.part"


def sidecar_of(partial: Path) -> Path:
    """The sidecar's path beside ``partial``."""
    return partial.with_name(partial.name + ".json")


def write_sidecar(partial: Path, validators: PartialValidators) -> None:
    """Record ``validators`` beside ``partial``, replacing any sidecar there (blocking)."""
    sidecar = sidecar_of(partial)
    body = json.dumps({"format": _SIDECAR_FORMAT, **attrs.asdict(validators)}).encode()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sidecar)
    fd = os.open(sidecar, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600)
    try:
        os.write(fd, body)
    finally:
        os.close(fd)


def read_sidecar(partial: Path) -> PartialValidators | None:
    """The validators recorded beside ``partial``, or None if the sidecar is missing, not a
    regular file, too long or malformed (blocking; never follows a link)."""
    return _read_sidecar(os.fspath(sidecar_of(partial)), None)


def _read_sidecar(path: str, directory_fd: int | None) -> PartialValidators | None:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NO_FOLLOW
    try:
        fd = os.open(path, flags, dir_fd=directory_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        raw = os.read(fd, MAX_SIDECAR_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if len(raw) > MAX_SIDECAR_BYTES else _parse_sidecar(raw)


def _parse_sidecar(raw: bytes) -> PartialValidators | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("format") != _SIDECAR_FORMAT:
        return None
    item, size, validator = value.get("item"), value.get("size"), value.get("validator")
    if not (isinstance(item, str) and isinstance(validator, str) and validator):
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return None
    return PartialValidators(item=item, size=size, validator=validator)


def find_partial(directory: Path, item: str, *, now: float | None = None) -> FoundPartial | None:
    """The partial a previous run kept for ``item`` in ``directory``, if it can be trusted:
    a fresh regular file, shorter than the file, whose sidecar names ``item``. An
    untrusted one is removed (blocking)."""
    path = directory / resumable_name(item)
    try:
        status = os.lstat(path)
    except OSError:
        return None
    validators = read_sidecar(path)
    fresh = (now if now is not None else time.time()) - status.st_mtime < STALE_AFTER_SECONDS
    if (
        stat.S_ISREG(status.st_mode)
        and status.st_nlink == 1  # a hard link's other name may be anywhere
        and fresh
        and validators is not None
        and validators.item == item
        and 0 < status.st_size < validators.size
    ):
        return FoundPartial(path=path, size=status.st_size, validators=validators)
    remove_partial(path)
    return None


def remove_partial(partial: Path) -> None:
    """Remove a partial (a random temporary file too) and its sidecar, if there (blocking)."""
    for path in (partial, sidecar_of(partial)):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.unlink(path)


def remove_partial_sidecar(partial: Path) -> None:
    """Remove the sidecar of ``partial``, if there (blocking)."""
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        os.unlink(sidecar_of(partial))


def keeps_temporary(name: str, directory_fd: int, now: float) -> bool:
    """Whether the cleanup keeps the temporary file ``name`` (of the SDK's pattern): a fresh
    partial with a valid sidecar, or that partial's sidecar."""
    partial = name.removesuffix(".json")
    try:
        status = os.stat(partial, dir_fd=directory_fd, follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(status.st_mode) or now - status.st_mtime >= STALE_AFTER_SECONDS:
        return False
    validators = _read_sidecar(partial + ".json", directory_fd)
    return validators is not None and resumable_name(validators.item) == partial


def remove_regular_at(name: str, directory_fd: int) -> bool:
    """Remove ``name`` from an open folder if it is a regular file; whether it was (blocking).

    Looked up and unlinked relative to the open folder: a folder swapped for a link after it
    was opened is not followed, and a link or a folder of that name is left alone.
    """
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.stat(name, dir_fd=directory_fd, follow_symlinks=False).st_mode):
            os.unlink(name, dir_fd=directory_fd)
            return True
    return False
