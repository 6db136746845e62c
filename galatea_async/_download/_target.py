"""Where a download lands, and what happens to a file already there (pure decisions).

The public methods take ``dest`` as the caller wrote it and decide once what it means: a
``Destination``, a directory plus an optional file name, handed down to the engine as it is.
``dest`` names a directory when it ends in a separator (or its last component is empty, ``.``
or ``..``) or when it is an existing directory; otherwise it is the file's path. The file name
inside a directory comes from the server's answer, made safe, or from the fallback.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path

import attrs

from galatea_async._download._names import is_one_component, safe_filename

__all__ = [
    "Destination",
    "Existing",
    "existing_policy",
    "is_complete_copy",
    "plan_destination",
    "spelled_as_directory",
]


class Existing(enum.Enum):
    """What a download does when its target name is already taken."""

    REFUSE = "refuse"  # FileExistsError: the default, nothing is ever clobbered
    REPLACE = "replace"  # overwrite=True
    SKIP_IF_COMPLETE = "skip"  # skip_existing=True: keep a complete copy, replace anything else


def existing_policy(*, overwrite: bool, skip_existing: bool = False) -> Existing:
    """The policy the public flags ask for (``skip_existing`` wins: it replaces what it skips
    only when the copy is incomplete)."""
    if skip_existing:
        return Existing.SKIP_IF_COMPLETE
    return Existing.REPLACE if overwrite else Existing.REFUSE


@attrs.frozen
class Destination:
    """A directory, and the file's name in it when the caller chose one."""

    directory: Path
    filename: str | None = None

    def name(self, server_name: str | None, *, fallback: str) -> str:
        """The file's name: the caller's, else the server's made safe, else ``fallback``."""
        if self.filename is not None:
            return self.filename
        name = safe_filename(server_name, fallback=fallback)
        if not is_one_component(name):  # safe_filename guarantees it; a guard, not a branch
            raise ValueError(f"refusing to write {name!r}: not a plain file name")
        return name

    def target(self, server_name: str | None, *, fallback: str) -> Path:
        """The file's path: ``directory`` and ``name(server_name, fallback=fallback)``."""
        return self.directory / self.name(server_name, fallback=fallback)


def spelled_as_directory(dest: str | os.PathLike[str]) -> bool:
    """Whether ``dest`` is written as a directory: it ends in a separator, or its last
    component is empty, ``.`` or ``..``. (A ``Path`` loses a trailing slash.)"""
    text = os.fspath(dest)
    separators = tuple(sep for sep in ("/", os.sep, os.altsep) if sep)
    if text.endswith(separators):
        return True
    for sep in separators[1:]:
        text = text.replace(sep, "/")
    return text.rsplit("/", 1)[-1] in ("", ".", "..")


def plan_destination(dest: str | os.PathLike[str], *, is_directory: bool) -> Destination:
    """The ``Destination`` for ``dest``, told whether it is an existing directory."""
    path = Path(dest)
    if is_directory or spelled_as_directory(dest):
        return Destination(directory=path)
    return Destination(directory=path.parent, filename=path.name)


def is_complete_copy(
    *,
    local_size: int | None,
    announced_size: int | None,
    local_md5: str | None = None,
    expected_md5: str | None = None,
) -> bool:
    """Whether a file already on disk is the one the server would send.

    Its size must equal the size the server announces (a file whose size is not announced is
    never taken as complete), and its md5 the listed one where the API lists one.
    """
    if local_size is None or announced_size is None or local_size != announced_size:
        return False
    if expected_md5 is None:
        return True
    return local_md5 is not None and local_md5 == expected_md5.strip().lower()
