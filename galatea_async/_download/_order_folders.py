"""An order's folder as a sync plans it: made, or opened without following a link, and read once.

``dest/<order_id>`` is used only when it is a real folder there: it is made (``mkdir``, so a
new one is ours and empty), or opened with ``O_NOFOLLOW | O_DIRECTORY``, which refuses a
symbolic link (to anywhere, inside ``dest`` or out) and anything that is not a folder. Its
name is a canonical UUID, one component, so a folder opened that way is really inside
``dest``. Everything planning needs is read through that descriptor in one pass: the regular
files' sizes, which temporary files a killed run left (removed, but for a fresh partial with
a valid sidecar, kept for resuming: ``keeps_temporary``). The files of a folder are not looked
at one by one, nor the path resolved again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

import attrs

from galatea_async._download._partials import (
    TEMPORARY_NAME,
    keeps_temporary,
    remove_regular_at,
)
from galatea_async.errors import GalateaError

__all__ = ["FolderState", "read_order_folder"]

_OPEN_FOLDER = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


@attrs.frozen
class FolderState:
    """An order's folder: refused (and why), or its regular files' sizes by name and whether a
    partial an earlier run kept is there."""

    refusal: GalateaError | None = None
    files: dict[str, int] = attrs.field(factory=dict)
    partials: bool = False


def read_order_folder(root: Path, name: str, now: float) -> FolderState:
    """``root / name`` made if missing, else read once (blocking); refused when it is a link
    or not a folder."""
    directory = os.path.join(root, name)
    for _ in range(2):  # opened, else made; opened again if another made it in between
        try:
            fd = os.open(directory, _OPEN_FOLDER)
        except FileNotFoundError:
            pass
        except OSError as exc:
            return FolderState(refusal=_refused(root, Path(directory), exc))
        else:
            try:
                return _read(fd, now)
            finally:
                os.close(fd)
        try:
            os.mkdir(directory)
            return FolderState()
        except FileExistsError:
            continue
        except OSError as exc:
            return FolderState(
                refusal=GalateaError(f"cannot create the folder {directory}: {exc.strerror}")
            )
    return FolderState(
        refusal=GalateaError(
            f"cannot open the folder {directory}: something else removes and makes it while "
            "this sync reads it; stop that, then run the sync again"
        )
    )


def _read(fd: int, now: float) -> FolderState:
    files: dict[str, int] = {}
    partials = False
    with contextlib.suppress(OSError), os.scandir(fd) as entries:
        for entry in entries:
            name = entry.name
            if name[0] == "." and TEMPORARY_NAME.fullmatch(name):
                if keeps_temporary(name, fd, now):
                    partials = True
                else:
                    remove_regular_at(name, fd)
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since it was listed
            if stat.S_ISREG(status.st_mode):
                files[name] = status.st_size
    return FolderState(files=files, partials=partials)


def _refused(root: Path, directory: Path, error: OSError) -> GalateaError:
    linked = error.errno == errno.ELOOP or (
        error.errno == errno.ENOTDIR and os.path.islink(directory)
    )
    if error.errno not in (errno.ELOOP, errno.ENOTDIR):
        return GalateaError(f"cannot open the folder {directory}: {error.strerror}")
    kind = "a symbolic link" if linked else "not a folder"
    return GalateaError(
        f"{directory} is {kind}; the SDK writes only into real folders inside {root}, "
        "never through a link: remove it, or choose another destination"
    )
