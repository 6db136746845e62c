"""What the benchmark harness tells each client: a sync's clients list their own orders, so
their spec carries no ids (which would weigh on the peak RSS the sync-scale row compares)."""

from __future__ import annotations

from pathlib import Path

from benchmarks._workloads import sync_scale, workloads
from benchmarks.run import client_spec


def test_a_sync_clients_spec_carries_no_order_ids(tmp_path: Path) -> None:
    scale = sync_scale(50_000)
    for client in scale.clients:
        spec = client_spec(scale, client, "http://127.0.0.1:1", "key", tmp_path, listing=False)
        assert spec.mode == "sync"
        assert spec.order_ids == []


def test_a_download_clients_spec_names_every_file(tmp_path: Path) -> None:
    small = next(w for w in workloads(quick=True) if w.name == "small")
    client = small.clients[0]
    spec = client_spec(small, client, "http://127.0.0.1:1", "key", tmp_path, listing=False)
    assert spec.mode == "download"
    assert len(spec.order_ids) == small.count
    assert len(set(spec.order_ids)) == small.count
