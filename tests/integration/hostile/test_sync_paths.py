"""Server values that become paths: an order id or a report id is a folder or a name only when
it is a canonical UUID, and nothing lands outside ``dest`` whatever the listing or the folder
holds (a symbolic link at ``dest/<order_id>`` is refused, not followed).

Each case runs ``results.sync`` against a real folder: it asserts the exact error of the
refused order, that the others complete, the download requests sent, that nothing changed
outside ``dest`` and that no temporary file is left.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from galatea_async import GalateaError
from galatea_async.errors import InvalidResponseError
from tests.integration.hostile.checks import assert_no_canary, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results

DATA = hashlib.shake_256(b"summary").digest(3000)


def bad_ids(tmp_path: Path) -> dict[str, str]:
    some = new_id()
    return {
        "parent": "../../escaped",
        "absolute": str(tmp_path / "absolute-dir"),
        "uppercase": some.upper(),
        "escape": "\x1b]0;owned\x07",
    }


@pytest.mark.parametrize("kind", ["parent", "absolute", "uppercase", "escape"])
async def test_an_order_id_that_is_not_a_uuid_fails_that_order_and_the_rest_syncs(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, kind: str
) -> None:
    bad, good = bad_ids(tmp_path)[kind], new_id()
    results = [
        Result(bad, "SUMMARY_CHROMS", "summary.tsv", DATA),
        Result(good, "SUMMARY_CHROMS", "summary.tsv", DATA),
    ]
    serve_orders(server, results)
    serve_results(server, results)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert [o.request.order_id for o in report.downloaded] == [good]
    assert (dest / good / "summary.tsv").read_bytes() == DATA
    (failure,) = report.failed
    assert type(failure.error) is InvalidResponseError
    message = str(failure.error)
    assert "exec/orders" in message and "not a canonical UUID" in message
    if kind in ("parent", "absolute", "escape"):
        assert bad not in message  # named by its place in the listing, never its raw text
    assert "\x1b" not in message
    assert server.count("GET", DOWNLOADS) == 1
    assert changed_outside(before, dest) == []
    assert temporary_files(dest) == []
    assert_no_canary(
        json.dumps(report.to_dict()), *(rendered(o.error) for o in report.failed if o.error)
    )


async def test_a_report_id_that_is_not_a_uuid_fails_that_report_only(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    order_id, good_report = new_id(), new_id()
    results = [
        Result(order_id, "SUMMARY_CHROMS", "summary.tsv", DATA),
        Result(order_id, "PDF_REPORT", "a.pdf", DATA, report_id="../../../report"),
        Result(order_id, "PDF_REPORT", "b.pdf", DATA[:100], report_id=good_report),
    ]
    serve_orders(server, results)
    serve_results(server, results)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest, pdf_reports=True, result_types=["SUMMARY_CHROMS"])
    assert [o.request.pdf_request_id for o in report.downloaded] == [None, good_report]
    (failure,) = report.failed
    assert type(failure.error) is InvalidResponseError
    assert "pdf_report" in str(failure.error) and "../" not in str(failure.error)
    assert server.count("GET", DOWNLOADS) == 2
    assert changed_outside(before, dest) == []


async def test_a_symbolic_link_at_an_order_folder_is_refused_not_followed(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    linked, good = new_id(), new_id()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stale = elsewhere / ".summary.tsv.0123456789ab.part"  # named like our temporary files
    stale.write_bytes(b"not ours")
    (dest / linked).symlink_to(elsewhere)
    results = [
        Result(linked, "SUMMARY_CHROMS", "summary.tsv", DATA),
        Result(good, "SUMMARY_CHROMS", "summary.tsv", DATA),
    ]
    serve_orders(server, results)
    serve_results(server, results)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert [o.request.order_id for o in report.downloaded] == [good]
    (failure,) = report.failed
    assert type(failure.error) is GalateaError
    assert "symbolic link" in str(failure.error) and linked in str(failure.error)
    assert server.count("GET", DOWNLOADS) == 1
    assert stale.read_bytes() == b"not ours"
    assert sorted(p.name for p in elsewhere.iterdir()) == [stale.name]
    assert changed_outside(before, dest) == []


async def test_a_symbolic_link_inside_dest_is_refused_too(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path
) -> None:
    linked, other = new_id(), new_id()
    (dest / other).mkdir()
    (dest / linked).symlink_to(dest / other)  # two orders would share one folder
    results = [Result(linked, "SUMMARY_CHROMS", "summary.tsv", DATA)]
    serve_orders(server, results)
    serve_results(server, results)
    report = await connect().results.sync(dest)
    assert [type(o.error) for o in report.failed] == [GalateaError]
    assert list((dest / other).iterdir()) == []
    assert server.count("GET", DOWNLOADS) == 0


@pytest.mark.parametrize("neighbour", [False, True], ids=["alone", "beside-a-file"])
async def test_a_symbolic_link_at_a_results_name_is_replaced_never_written_through(
    server: HostileServer, connect: Connect, dest: Path, tmp_path: Path, neighbour: bool
) -> None:
    order = new_id()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (dest / order).mkdir()
    (dest / order / "summary.tsv").symlink_to(victim)
    if neighbour:  # the folder then holds a regular file too
        (dest / order / "notes.txt").write_bytes(b"the user's")
    results = [Result(order, "SUMMARY_CHROMS", "summary.tsv", DATA)]
    serve_orders(server, results)
    serve_results(server, results)
    before = Snapshot.of(tmp_path)
    report = await connect().results.sync(dest)
    assert report.ok, report.failed
    written = dest / order / "summary.tsv"
    assert not written.is_symlink() and written.read_bytes() == DATA
    assert victim.read_bytes() == b"precious"
    assert changed_outside(before, dest) == []
    assert temporary_files(dest) == []
