"""What a ``results.sync`` run keeps alive per file while its downloads run: the files waiting
for a download are rows of plain values (which the collector stops tracking), not the planning's
objects, so what a long run promotes into the oldest generation, and each full collection then
walks, does not grow with the listing page being downloaded."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from galatea_async import AsyncGalatea
from galatea_async._download._journal import JournalEntry
from galatea_async._download._order_folders import FolderState
from galatea_async._download._source import DownloadSource
from galatea_async._download._sync_plan import SyncItem
from galatea_async.emulator import Emulator

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "DETAILED_SUPERSET"]
PLANNING = (SyncItem, FolderState, JournalEntry)
# The downloads take a folder's jobs while the planning of the next page may be under way.
NEXT_PAGE_PLANNING = 2 * 16 + 4 + 8


def planning_objects_alive() -> int:
    """How many of the sync's planning objects (and tuples holding one) are alive now."""
    return sum(1 for thing in gc.get_objects() if _is_planning(thing))


def _is_planning(thing: object) -> bool:
    if type(thing) is tuple:
        return any(isinstance(part, PLANNING) for part in thing)
    return isinstance(thing, PLANNING)


def sampled_while_downloading(monkeypatch: pytest.MonkeyPatch, every: int) -> list[int]:
    """The planning objects alive as every ``every``-th download job is built."""
    samples: list[int] = []
    built = [0]
    original = DownloadSource.mirrored

    def mirrored(self: DownloadSource, *args: Any) -> Any:
        built[0] += 1
        if built[0] % every == 0:
            samples.append(planning_objects_alive())
        return original(self, *args)

    monkeypatch.setattr(DownloadSource, "mirrored", mirrored)
    return samples


@pytest.mark.slow
async def test_files_waiting_for_their_downloads_hold_no_planning_object(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(104):  # a full listing page of orders (400 files), then 4 more
        emulator.add_order(result_sizes=dict.fromkeys(TYPES, 256))
    samples = sampled_while_downloading(monkeypatch, every=50)

    first = await live_client.results.sync(tmp_path, result_types=TYPES)

    assert (len(first.downloaded), first.ok, len(samples)) == (416, True, 8)
    # Before: a page's items, their plan and their folders' states held until the page's
    # last file was handed to the downloads, 261 to 977 objects in every sample. What may be
    # alive is the next page's planning (16 files: an item, a plan row each, 4 folders).
    assert max(samples) < NEXT_PAGE_PLANNING, f"{samples}"

    # A rerun that fetches a few folders again, while it keeps the rest.
    for order_folder in sorted(p for p in tmp_path.iterdir() if p.is_dir())[:30]:
        for file in order_folder.iterdir():
            file.unlink()
    samples.clear()

    again = await live_client.results.sync(tmp_path, result_types=TYPES)

    assert (len(again.downloaded), len(again.skipped), again.ok) == (120, 296, True)
    assert samples and max(samples) < NEXT_PAGE_PLANNING, f"{samples}"
