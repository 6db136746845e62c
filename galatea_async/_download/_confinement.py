"""Server values that become paths, and folders the SDK writes or deletes in: kept inside ``dest``.

An id becomes a folder's name only when it is a canonical UUID (``is_canonical_id``, pure): no
separator, no dot, nothing a terminal would act on. A folder inside ``dest`` is used only when
it really is where its name says (``check_confined``): a real directory, and the same place
once symbolic links are resolved, so a link planted at ``dest/<order_id>`` is refused, never
followed, whether it leads outside ``dest`` or to another order's folder.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

from galatea_async._download._folders import make_directories
from galatea_async.errors import GalateaError

__all__ = [
    "check_confined",
    "confined_directory",
    "describe_id",
    "is_canonical_id",
    "is_confined",
]


def is_canonical_id(value: object) -> bool:
    """Whether ``value`` is a UUID in its canonical text (36 lower-case characters)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def describe_id(value: str) -> str:
    """How a message shows an id a listing sent: a UUID spelled another way as its canonical
    form; anything else only by its length, never its text (it may hold terminal escapes)."""
    try:
        return f"a UUID written another way, {uuid.UUID(value)}"
    except ValueError:
        return f"{len(value)} characters, not shown"


def is_confined(real_root: str, real_directory: str, name: str) -> bool:
    """Whether a directory resolved to ``real_directory`` is the child ``name`` of the folder
    resolved to ``real_root`` (both resolved paths, symbolic links followed)."""
    return real_directory == os.path.join(real_root, name)


def check_confined(root: Path, directory: Path) -> None:
    """Raise ``GalateaError`` unless ``directory``, a child of ``root``, is a real directory
    there (blocking)."""
    try:
        status = os.lstat(directory)
    except OSError:
        status = None
    real = os.path.realpath(directory)
    if (
        status is None
        or not stat.S_ISDIR(status.st_mode)
        or directory.parent != root
        or not is_confined(os.path.realpath(root), real, directory.name)
    ):
        kind = "a symbolic link" if status and stat.S_ISLNK(status.st_mode) else "not a folder"
        raise GalateaError(
            f"{directory} is {kind}; the SDK writes only into real folders inside {root}, "
            "never through a link: remove it, or choose another destination"
        )


def confined_directory(root: Path, name: str) -> Path:
    """``root / name``, created if missing, checked by ``check_confined`` (blocking)."""
    directory = root / name
    try:
        make_directories(directory)
    except FileExistsError:
        pass  # checked below, whatever it is
    except OSError as exc:
        raise GalateaError(f"cannot create the folder {directory}: {exc.strerror}") from None
    check_confined(root, directory)
    return directory
