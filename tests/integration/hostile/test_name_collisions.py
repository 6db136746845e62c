"""Two results, two files: names that collide after sanitising never make one file of two.

Within one ``download_many`` or ``results.sync`` a final path belongs to one item: a later item
(in the batch's order) whose server name collides with an earlier one's (NFC and NFD, equal in
their first 255 bytes, equal but for case, or simply equal) gets a distinct, readable name
derived from its own identity, the same whichever answer arrives first and on every run.
``skip_existing`` never keeps, for one item, another item's file; PDF reports kept by
``skip_existing`` are checked against the md5 their listing gives.
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
from pathlib import Path

import pytest

from galatea_async._download._journal import Journal
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results

TYPES = ["SUMMARY_CHROMS", "DETAILED_CHROMS"]
NAMES = {
    "nfc-nfd": (
        unicodedata.normalize("NFC", "résumé.tsv"),
        unicodedata.normalize("NFD", "résumé.tsv"),
    ),
    "first-255-bytes": ("a" * 300 + "-one.tsv", "a" * 300 + "-two.tsv"),
    "case": ("Report.tsv", "REPORT.tsv"),
    "equal": ("Report.tsv", "Report.tsv"),
}


def data(label: str, size: int) -> bytes:
    return hashlib.shake_256(label.encode()).digest(size)


def colliding(order_ids: list[str], names: tuple[str, str]) -> list[Result]:
    """Two results named ``names``: of one order (two types) or of two orders (one type)."""
    if len(order_ids) == 1:
        pairs = [(order_ids[0], TYPES[0]), (order_ids[0], TYPES[1])]
    else:
        pairs = [(order_ids[0], TYPES[0]), (order_ids[1], TYPES[0])]
    return [
        Result(order_id, result_type, name, data(f"{order_id}{result_type}", 1000 + 500 * n))
        for n, ((order_id, result_type), name) in enumerate(zip(pairs, names, strict=True))
    ]


def assert_two_files(paths: list[Path | None], results: list[Result]) -> None:
    assert None not in paths
    assert len(set(paths)) == 2
    for path, result in zip(paths, results, strict=True):
        assert path is not None
        assert path.read_bytes() == result.data
        assert len(path.name.encode()) <= 255


@pytest.mark.parametrize("case", list(NAMES))
async def test_colliding_names_in_one_sync_become_two_files_kept_on_the_next_run(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, case: str
) -> None:
    results = colliding([new_id()], NAMES[case])
    serve_orders(server, results)
    serve_results(server, results)
    before = Snapshot.of(tmp_path)
    first = await connect().results.sync(dest)
    assert first.ok
    by_type = {o.request.result_type.value: o.path for o in first.downloaded}
    assert_two_files([by_type[r.result_type] for r in results], results)
    journal = Journal.load(dest)
    assert len({entry.path for entry in journal.entries.values()}) == 2  # one key per path
    requests = server.count("GET", DOWNLOADS)
    second = await connect().results.sync(dest)
    assert second.downloaded == [] and len(second.skipped) == 2
    assert server.count("GET", DOWNLOADS) == requests
    assert {o.path for o in second.skipped} == set(by_type.values())
    assert changed_outside(before, dest) == []
    assert temporary_files(dest) == []


@pytest.mark.parametrize("case", list(NAMES))
async def test_colliding_names_in_download_many_do_not_depend_on_which_answer_comes_first(
    server: HostileServer, connect: Connect, tmp_path: Path, case: str
) -> None:
    results = colliding([new_id(), new_id()], NAMES[case])
    items = [(r.order_id, r.result_type) for r in results]
    in_order = tmp_path / "in-order"
    serve_results(server, results)
    plain = await connect().results.download_many(items, in_order, concurrency=2)
    assert_two_files([o.path for o in plain], results)
    # Now the first item's answer waits until the second's is sent.
    first_key, second_key = [(r.order_id, r.result_type) for r in results]
    second_sent = asyncio.Event()
    serve_results(
        server, results, hold={first_key: second_sent}, answered={second_key: second_sent}
    )
    reversed_dest = tmp_path / "reversed"
    late = await connect().results.download_many(items, reversed_dest, concurrency=2)
    assert_two_files([o.path for o in late], results)
    assert [o.path.name for o in late if o.path] == [o.path.name for o in plain if o.path]
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("case", ["equal", "nfc-nfd"])
async def test_skip_existing_never_keeps_another_items_file(
    server: HostileServer, connect: Connect, dest: Path, case: str
) -> None:
    order_id = new_id()
    results = colliding([order_id, new_id()], NAMES[case])
    results[1] = Result(results[1].order_id, results[1].result_type, results[1].name,
                        data("same size, other bytes", len(results[0].data)))  # fmt: skip
    items = [(r.order_id, r.result_type) for r in results]
    serve_results(server, results)
    first = await connect().results.download_many(items, dest, concurrency=2)
    assert_two_files([o.path for o in first], results)
    first_key, second_key = [(r.order_id, r.result_type) for r in results]
    second_sent = asyncio.Event()
    serve_results(
        server, results, hold={first_key: second_sent}, answered={second_key: second_sent}
    )
    again = await connect().results.download_many(items, dest, concurrency=2, skip_existing=True)
    assert [o.skipped for o in again] == [True, True]
    assert [o.path for o in again] == [o.path for o in first]
    assert_two_files([o.path for o in again], results)


async def test_skip_existing_checks_a_kept_pdf_report_against_its_listed_md5(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    order_id = new_id()
    reports = [
        Result(order_id, "PDF_REPORT", f"report-{n}.pdf", data(f"report {n}", 4000), new_id())
        for n in range(2)
    ]
    serve_orders(server, reports)
    serve_results(server, reports)
    (dest / "report-0.pdf").write_bytes(data("same size, other bytes", 4000))
    (dest / "report-1.pdf").write_bytes(reports[1].data)  # the right bytes: kept
    items = [(r.order_id, r.result_type, r.report_id) for r in reports]
    outcomes = await connect().results.download_many(items, dest, skip_existing=True)
    assert [o.error for o in outcomes] == [None, None]
    assert [o.skipped for o in outcomes] == [False, True]
    assert [o.md5 for o in outcomes] == [r.md5 for r in reports]
    assert (dest / "report-0.pdf").read_bytes() == reports[0].data
    assert server.count("GET", r"data/results/[^/]+/pdf_report") == 1  # once per order
    assert temporary_files(dest) == []


async def test_a_refetched_item_never_takes_a_name_the_journal_gives_another(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    results = colliding([new_id()], NAMES["equal"])
    serve_orders(server, results)
    serve_results(server, results)
    first = await connect().results.sync(dest)
    by_type = {o.request.result_type.value: o.path for o in first.downloaded}
    plain, distinct = (by_type[r.result_type] for r in results)
    assert plain is not None and distinct is not None
    distinct.unlink()  # the second result is fetched again; the first is kept
    again = await connect().results.sync(dest)
    assert [o.path for o in again.downloaded] == [distinct]
    assert [o.path for o in again.skipped] == [plain]
    assert plain.read_bytes() == results[0].data
    assert distinct.read_bytes() == results[1].data
