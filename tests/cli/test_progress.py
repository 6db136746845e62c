"""The overall bar of a batch: files until every size is known, then bytes; binary units."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from galatea_async.cli._estimate import BatchCounts, Overall, binary_size, overall_progress
from galatea_async.cli._progress import TransferBars

MIB = 1 << 20


def counts(**values: int) -> BatchCounts:
    settings = {
        "total_files": 10,
        "finished": 0,
        "failed": 0,
        "sized": 0,
        "sized_bytes": 0,
        "done_bytes": 0,
    }
    settings.update(values)
    return BatchCounts(**settings)


def test_before_anything_finishes_the_time_left_is_unknown() -> None:
    overall = overall_progress(
        counts(sized=2, sized_bytes=2 * MIB), files_per_second=None, bytes_per_second=5 * MIB
    )
    assert overall == Overall("files", 0, 10, None)


def test_half_the_bytes_left_in_files_not_started_is_never_3_seconds() -> None:
    # Five small files done fast, five not started (their sizes are unknown; one may be huge).
    # The bar counts files and says what files tell.
    overall = overall_progress(
        counts(finished=5, sized=5, sized_bytes=5 * MIB, done_bytes=5 * MIB),
        files_per_second=0.5,
        bytes_per_second=10 * MIB,
    )
    assert overall.unit == "files"
    assert (overall.completed, overall.total) == (5, 10)
    assert overall.seconds_left == 10.0  # 5 files at 0.5 a second, not 5 MiB at 10 MiB/s


def test_once_every_size_is_known_the_bar_counts_bytes() -> None:
    overall = overall_progress(
        counts(finished=7, sized=10, sized_bytes=100 * MIB, done_bytes=60 * MIB),
        files_per_second=1.0,
        bytes_per_second=8 * MIB,
    )
    assert overall == Overall("bytes", 60 * MIB, 100 * MIB, 5.0)


def test_failed_files_leave_the_counts() -> None:
    overall = overall_progress(
        counts(finished=7, failed=3, sized=7, sized_bytes=7 * MIB, done_bytes=7 * MIB),
        files_per_second=1.0,
        bytes_per_second=None,
    )
    assert overall == Overall("bytes", 7 * MIB, 7 * MIB, 0.0)


def test_binary_units() -> None:
    assert binary_size(512) == "512 bytes"
    assert binary_size(1536) == "1.5 KiB"
    assert binary_size(5 * MIB) == "5.0 MiB"
    assert binary_size(3 * 1024 * MIB) == "3.0 GiB"


def test_the_bars_speak_mib_like_the_summary(tmp_path: Path) -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=160, color_system=None)
    with TransferBars(console, total_files=2) as bars:
        first = bars.start("a", "order-a/SUMMARY_CHROMS")
        first(3 * MIB, 4 * MIB)
        second = bars.start("b", "order-b/SUMMARY_CHROMS")
        second(1 * MIB, 2 * MIB)
        bars._progress.refresh()
        drawn = stream.getvalue()
        first(4 * MIB, 4 * MIB)
        bars.finished("a", tmp_path / "a.tsv")
    assert "MiB" in drawn
    assert " MB" not in drawn and "MB/s" not in drawn
    assert "4.0/6.0 MiB" in drawn  # the overall bar in bytes: every size is known
