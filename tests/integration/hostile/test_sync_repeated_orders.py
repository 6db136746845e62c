"""A listing that names an order again: each result is still fetched once into its own file.

The walk tells orders apart by id, keeping the first ids as text and later ones as 16 bytes
(``_seen_ids``); with that limit made small, the repeats below fall on both sides of it. A
sync must then write each order's result once, in its own folder, nothing outside ``dest``
and no second copy under another name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from galatea_async import _seen_ids
from galatea_async.resources import results as results_resource
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results


async def test_an_order_listed_twice_is_synced_once_on_either_side_of_the_id_limit(
    server: HostileServer,
    connect: Connect,
    dest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_seen_ids, "PLAIN_LIMIT", 2)
    # The sync plans orders a few at a time: the repeats come in later groups than the first.
    monkeypatch.setattr(results_resource, "_ORDERS_A_PAGE", 2)
    ids = [new_id() for _ in range(5)]
    results = [
        Result(
            order_id,
            "SUMMARY_CHROMS",
            "summary.tsv",
            hashlib.shake_256(order_id.encode()).digest(2000),
        )
        for order_id in ids
    ]
    # ids[1] is kept as text, ids[4] as bytes, when they come again.
    serve_orders(server, results, *ids, ids[4], ids[1], ids[4])
    serve_results(server, results)
    before = Snapshot.of(tmp_path)

    report = await connect().results.sync(dest)

    assert sorted(o.request.order_id for o in report.downloaded) == sorted(ids)
    assert report.failed == []
    assert server.count("GET", DOWNLOADS) == len(ids)
    for result in results:
        assert sorted(p.name for p in (dest / result.order_id).iterdir()) == ["summary.tsv"]
        assert (dest / result.order_id / "summary.tsv").read_bytes() == result.data
    assert changed_outside(before, dest) == []
    assert temporary_files(dest) == []
