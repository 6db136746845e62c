"""download-all's pure parts: which files to fetch, and the manifest of finished ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import attrs

from galatea_async._enums import ResultType
from galatea_async.cli._batch import plan_items
from galatea_async.cli._manifest import MANIFEST_NAME, Manifest, file_digest


@attrs.frozen
class FakeOrder:
    id: str
    result_types: list[ResultType]


ORDER_A = FakeOrder("a" * 8, [ResultType.SUMMARY_CHROMS, ResultType.PDF_REPORT])
ORDER_B = FakeOrder("b" * 8, [ResultType.SUMMARY_CHROMS, ResultType.SUMMARY_CHROMS])


def test_plan_takes_every_result_type_of_every_order_once() -> None:
    items = plan_items([ORDER_A, ORDER_B])
    assert [item.key for item in items] == [
        "aaaaaaaa/SUMMARY_CHROMS",
        "aaaaaaaa/PDF_REPORT",
        "bbbbbbbb/SUMMARY_CHROMS",
    ]


def test_plan_keeps_only_the_asked_result_types() -> None:
    items = plan_items([ORDER_A, ORDER_B], [ResultType.PDF_REPORT])
    assert [item.key for item in items] == ["aaaaaaaa/PDF_REPORT"]


def test_manifest_survives_a_reload_and_checks_the_file_is_still_whole(tmp_path: Path) -> None:
    target = tmp_path / "order" / "summary.tsv"
    target.parent.mkdir()
    target.write_bytes(b"0123456789")
    size, md5 = file_digest(target)
    assert (size, md5) == (10, hashlib.md5(b"0123456789").hexdigest())

    written = Manifest(tmp_path)
    written.record("order/SUMMARY_CHROMS", target, size, md5)
    assert Manifest.load(tmp_path).finished("order/SUMMARY_CHROMS") is not None  # not yet closed
    written.close()
    reloaded = Manifest.load(tmp_path)
    entry = reloaded.finished("order/SUMMARY_CHROMS")
    assert entry is not None
    assert entry.path == "order/summary.tsv"

    target.write_bytes(b"0123")  # truncated by someone: no longer counts as finished
    assert reloaded.finished("order/SUMMARY_CHROMS") is None
    target.unlink()
    assert reloaded.finished("order/SUMMARY_CHROMS") is None


def test_torn_or_damaged_manifest_lines_are_skipped(tmp_path: Path) -> None:
    good = '{"key": "o/SUMMARY_CHROMS", "path": "o/a.tsv", "size": 3, "md5": "x"}\n'
    (tmp_path / MANIFEST_NAME).write_text(good + '{"key": "o/EXEC_ERRORS", "pa')
    assert list(Manifest.load(tmp_path).entries) == ["o/SUMMARY_CHROMS"]
