"""``results.sync(verify=True)`` keeps a journalled file only when its md5 now matches the
journal's: one that cannot be hashed (swapped for something that is not a regular file after
its folder was read) is fetched again, never kept on its size alone."""

from __future__ import annotations

from pathlib import Path

import pytest

import galatea_async._download._sync as sync_module
from galatea_async import AsyncGalatea
from galatea_async.emulator import Emulator

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS"]


async def test_a_journalled_file_that_cannot_be_hashed_is_fetched_again_under_verify(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.add_order(result_sizes=dict.fromkeys(TYPES, 512))
    first = await live_client.results.sync(tmp_path, result_types=TYPES)
    assert (len(first.downloaded), first.ok) == (2, True)

    monkeypatch.setattr(sync_module, "_regular_md5", lambda _path: None)
    again = await live_client.results.sync(tmp_path, result_types=TYPES, verify=True)

    assert (len(again.downloaded), len(list(again.skipped)), again.ok) == (2, 0, True)
