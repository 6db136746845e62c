"""Where a test-made order starts in its life (emulator/_lifecycle.order_placement)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from galatea_async._enums import OrderStatus
from galatea_async.emulator._lifecycle import order_placement, order_status

NOW = datetime(2025, 7, 1, 12, tzinfo=timezone.utc)
MODEL = "ancestry data model one"  # no report: Registered, Submitted, Running, Completed


def test_an_order_on_the_normal_path_began_long_enough_ago_to_be_there_now() -> None:
    began, pinned = order_placement(OrderStatus.RUNNING, None, NOW, stage_seconds=10, model=MODEL)
    assert (began, pinned) == (NOW - timedelta(seconds=20), None)
    elapsed = (NOW - began).total_seconds()
    assert order_status(elapsed, 10, makes_report=False, fails=False) == OrderStatus.RUNNING


def test_a_final_order_created_too_recently_to_have_finished_stays_final() -> None:
    recent = NOW - timedelta(seconds=5)
    assert order_placement(OrderStatus.COMPLETED, recent, NOW, stage_seconds=10, model=MODEL) == (
        recent,
        "Completed",
    )
    long_ago = NOW - timedelta(days=1)
    assert order_placement(OrderStatus.FAILED, long_ago, NOW, stage_seconds=10, model=MODEL) == (
        long_ago,
        None,
    )


def test_other_statuses_stay_as_set_except_canceled() -> None:
    assert order_placement(OrderStatus.QC_FAILED, None, NOW, stage_seconds=10, model=MODEL) == (
        NOW,
        "QC failed",
    )
    assert order_placement(OrderStatus.CANCELED, None, NOW, stage_seconds=10, model=MODEL) == (
        NOW,
        None,
    )
