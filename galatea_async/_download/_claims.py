"""The final names of one batch: each path belongs to one item, whatever answer comes first.

A server names a file only in its answer's headers, and two items of a batch may be given
names that are one file on disk (equal, NFC and NFD, equal but for case, or cut to the same
255 bytes). ``NameClaims`` gives every name to one item: items of one directory claim in batch
order (an item waits until every earlier item of its directory has claimed its name or ended),
so the outcome never depends on which answer arrives first. An item whose name is taken gets
``distinct_name(name, tag)``, the tag derived from the item itself (its result type and a
short hash of its key), so the same items get the same names on every run. Names a sync
journal gives to files still on disk are reserved for their items (``reserve``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import anyio

from galatea_async._download._names import distinct_name, name_key

__all__ = ["NameClaims", "item_tag"]

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9_-]")


def item_tag(label: str, key: str) -> str:
    """The readable, stable tag of an item: its label (a result type, which a server may list
    with any text: only letters, digits, ``_`` and ``-`` of it, at most 40) and 8 hex digits of
    its key's hash."""
    plain = _NOT_PLAIN.sub("", label)[:40] or "item"
    return f"{plain}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"


class NameClaims:
    """Who owns each final name of a batch (items by index, in the directories given)."""

    def __init__(self, directories: Sequence[Path]) -> None:
        self._directories = list(directories)
        # Directories are numbered once: every later look-up is by an int, since hashing a
        # Path is a Python call.
        numbers: dict[Path, int] = {}
        self._number = [numbers.setdefault(directory, len(numbers)) for directory in directories]
        self._numbers = numbers
        self._members: list[list[int]] = [[] for _ in numbers]
        self._position: list[int] = []
        for index, number in enumerate(self._number):
            members = self._members[number]
            self._position.append(len(members))
            members.append(index)
        self._settled = [False] * len(self._directories)
        self._frontier = [0] * len(numbers)  # how many have settled in order, per directory
        self._turns: dict[int, anyio.Event] = {}
        self._reserved: dict[tuple[int, str], str] = {}
        self._claimed: dict[tuple[int, str], int] = {}
        self._chosen: dict[int, Path] = {}

    def reserve(self, path: Path, key: str) -> None:
        """``path`` is the file of the item ``key`` (from a journal): nobody else's."""
        number = self._numbers.get(path.parent)
        if number is not None:  # no item of this batch can want a name elsewhere
            self._reserved[(number, name_key(path.name))] = key

    async def claim(self, index: int, name: str, *, label: str, key: str) -> Path:
        """The final path of item ``index`` (``key``, of result type ``label``), which the
        server named ``name`` (a safe name).

        Decided once: a later call (a download restarted) gets the same path.
        """
        if index in self._chosen:
            return self._chosen[index]
        number = self._number[index]
        if self._position[index] > self._frontier[number]:
            await self._wait_for_turn(index)
        path = self._directories[index] / self._free_name(index, number, name, label, key)
        self.settle(index)
        self._chosen[index] = path
        return path

    def settle(self, index: int) -> None:
        """Item ``index`` has its name, or will never claim one (it ended); idempotent."""
        if self._settled[index]:
            return
        self._settled[index] = True
        number = self._number[index]
        members = self._members[number]
        frontier = self._frontier[number]
        while frontier < len(members) and self._settled[members[frontier]]:
            frontier += 1
        self._frontier[number] = frontier
        if frontier < len(members):
            turn = self._turns.pop(members[frontier], None)
            if turn is not None:
                turn.set()

    async def _wait_for_turn(self, index: int) -> None:
        """Wait until every earlier item of the directory of item ``index`` has settled."""
        turn = self._turns.setdefault(index, anyio.Event())
        await turn.wait()

    def _free_name(self, index: int, number: int, name: str, label: str, key: str) -> str:
        candidate = name
        tag = ""  # made only for a name that is taken: most items keep theirs
        # Every candidate differs from the others by its tag, so one of the first
        # (items + reservations + 1) is free.
        for attempt in range(1, len(self._directories) + len(self._reserved) + 2):
            slot = (number, name_key(candidate))
            if slot not in self._claimed and self._reserved.get(slot, key) == key:
                self._claimed[slot] = index
                return candidate
            tag = tag or item_tag(label, key)
            candidate = distinct_name(name, tag if attempt == 1 else f"{tag}-{attempt}")
        raise AssertionError("unreachable: a free name always exists")  # pragma: no cover
