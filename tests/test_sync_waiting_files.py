"""A file a sync fetches waits for its download as a tuple of plain values (``WaitingFile``):
read back whole, and never tracked by the collector after its first young collection."""

from __future__ import annotations

import gc

import pytest

from galatea_async._download._source import Listed
from galatea_async._download._sync_plan import SyncItem, fetch_of, waiting_file
from galatea_async._download._target import Existing
from galatea_async._enums import ResultType

ORDER = "3f2b8c1e-0a4d-4e5f-9a6b-7c8d9e0f1a2b"
REPORT = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"


@pytest.mark.parametrize(
    ("item", "existing"),
    [
        (SyncItem(ORDER, ResultType.SUMMARY_CHROMS), Existing.SKIP_IF_COMPLETE),
        (
            SyncItem(
                ORDER,
                ResultType.PDF_REPORT,
                pdf_request_id=REPORT,
                expected_size=2048,
                expected_md5="0" * 32,
            ),
            Existing.REPLACE,
        ),
    ],
)
def test_a_waiting_file_reads_back_as_its_request_listing_and_policy(
    item: SyncItem, existing: Existing
) -> None:
    request, listed, policy = fetch_of(waiting_file(item, existing))

    assert request == item.request
    assert listed == Listed(size=item.expected_size, md5=item.expected_md5)
    assert policy is existing


def test_a_waiting_file_is_untracked_by_the_collector_after_a_young_collection() -> None:
    item = SyncItem(ORDER, ResultType.PDF_REPORT, pdf_request_id=REPORT, expected_size=5)
    waiting = waiting_file(item, Existing.REPLACE)
    assert gc.is_tracked(waiting)  # every new tuple is, until a collection looks at it

    gc.collect(0)

    assert not gc.is_tracked(waiting)
