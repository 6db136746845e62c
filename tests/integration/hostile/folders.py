"""Real folders for the sync and journal cases: what changed outside ``dest``, what is left.

``Snapshot`` records every entry under a root (the parent of ``dest``, walked without following
links) with its kind and bytes; comparing two snapshots, ``dest`` excluded, shows anything the
SDK created, changed or removed outside the folder it was given.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import attrs

__all__ = ["Snapshot", "changed_outside", "temporary_files"]

# The engine's temporary files and the journal's compaction temporaries.
_TEMPORARY = re.compile(r"(^\..+\.[0-9a-f]{12}\.part$)|(\.tmp$)")


@attrs.frozen
class Snapshot:
    """Every entry under ``root``: its path (relative) -> kind and content fingerprint."""

    root: Path
    entries: dict[str, str]

    @classmethod
    def of(cls, root: Path) -> Snapshot:
        entries: dict[str, str] = {}
        for directory, folders, files in os.walk(root):
            for name in folders + files:
                path = Path(directory, name)
                entries[str(path.relative_to(root))] = _fingerprint(path)
        return cls(root, entries)


def _fingerprint(path: Path) -> str:
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        return f"link -> {os.readlink(path)}"
    if stat.S_ISREG(status.st_mode):
        return f"file {hashlib.md5(path.read_bytes()).hexdigest()}"
    if stat.S_ISDIR(status.st_mode):
        return "directory"
    return f"mode {stat.S_IFMT(status.st_mode):o}"


def changed_outside(before: Snapshot, dest: Path) -> list[str]:
    """What differs now from ``before`` under its root, outside ``dest``."""
    after = Snapshot.of(before.root)
    inside = str(dest.relative_to(before.root))

    def outside(name: str) -> bool:
        return name != inside and not name.startswith(inside + os.sep)

    names = {n for n in before.entries.keys() | after.entries.keys() if outside(n)}
    return sorted(
        f"{name}: {before.entries.get(name)} -> {after.entries.get(name)}"
        for name in names
        if before.entries.get(name) != after.entries.get(name)
    )


def temporary_files(dest: Path) -> list[str]:
    """Temporary files anywhere under ``dest`` (links not followed)."""
    return sorted(
        str(Path(directory, name).relative_to(dest))
        for directory, _folders, files in os.walk(dest)
        for name in files
        if _TEMPORARY.search(name)
    )
