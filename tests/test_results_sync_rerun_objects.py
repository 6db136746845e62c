"""A nothing-to-do ``results.sync`` rerun costs little per file it keeps: no download request,
outcome or path is built for a file the journal holds intact (the report's rows are made from
the journal's own entries), so a rerun's CPU and the objects the collector walks stay small."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from galatea_async import AsyncGalatea
from galatea_async._download._batch import DownloadOutcome, DownloadRequest
from galatea_async.emulator import Emulator

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "DETAILED_SUPERSET"]


def counted(monkeypatch: pytest.MonkeyPatch, cls: type[Any]) -> list[int]:
    """A counter of the instances of ``cls`` built from now on."""
    built = [0]
    original: Callable[..., None] = cls.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        built[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", counting_init)
    return built


async def test_a_rerun_builds_no_request_or_outcome_for_the_files_it_keeps(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(25):
        emulator.add_order(result_sizes=dict.fromkeys(TYPES, 512))
    first = await live_client.results.sync(tmp_path, result_types=TYPES)
    assert len(first.downloaded) == 100 and first.ok

    requests = counted(monkeypatch, DownloadRequest)
    outcomes = counted(monkeypatch, DownloadOutcome)
    again = await live_client.results.sync(tmp_path, result_types=TYPES)

    assert (len(again.downloaded), again.skipped_bytes, again.ok) == (
        0,
        first.downloaded_bytes,
        True,
    )
    assert (requests[0], outcomes[0]) == (0, 0)
    # The report still reads each kept file back as a whole outcome.
    kept = list(again.skipped)
    assert len(kept) == 100 and all(o.skipped and o.path and o.path.is_file() for o in kept)
    assert {o.request for o in kept} == {o.request for o in first.downloaded}
