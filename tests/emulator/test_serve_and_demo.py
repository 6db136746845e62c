"""Serving over TCP (in-process and as ``python -m``), and the seeded demo world."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from galatea_async.emulator import DEMO_API_KEY, Emulator

ROOT = Path(__file__).resolve().parents[2]


async def test_serve_binds_a_free_port_on_loopback_and_shuts_down(emulator: Emulator) -> None:
    async with emulator.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{base_url}/api/v1/users/me",
                headers={"Authorization": f"Bearer {emulator.api_key}"},
            )
        assert response.status_code == 200
    async with httpx.AsyncClient() as client:
        try:
            await client.get(f"{base_url}/api/v1/users/me")
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("the server still answers after the block")


def test_module_entry_point_serves_the_demo_and_prints_credentials() -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "galatea_async.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        values = dict(line.strip().split("=", 1) for line in lines[1:] if "=" in line)
        assert values["GALATEA_API_KEY"] == DEMO_API_KEY
        response = httpx.get(
            f"{values['GALATEA_BASE_URL']}/api/v1/users/me",
            headers={"Authorization": f"Bearer {values['GALATEA_API_KEY']}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["email"] == values["GALATEA_EMAIL"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_has_a_lab_files_tags_and_30_plus_completed_orders(demo_emulator: Emulator) -> None:
    state = demo_emulator.state
    assert state.org.name == "Demo Lab"
    assert demo_emulator.api_key == DEMO_API_KEY
    assert len(state.tags) == 3
    assert len(state.files) >= 8
    statuses = [state.order_status(order) for order in state.orders.values()]
    assert statuses.count("Completed") >= 32
    assert {"Running", "Failed", "Registered"} <= set(statuses)
    models = {order.model for order in state.orders.values()}
    assert len(models) == 5
    assert sum(len(order.reports) for order in state.orders.values()) >= 10


def test_demo_results_are_downloadable_and_total_at_most_60_mib(demo_emulator: Emulator) -> None:
    state = demo_emulator.state
    total, sizes = 0, set()
    for order in state.orders.values():
        if state.order_status(order) != "Completed":
            continue
        for entry in {e["type"] for e in _entries(demo_emulator, order.id)}:
            blob, name = state.result_blob(order, entry, None)
            total += blob.size
            sizes.add(blob.size)
            assert name.startswith(order.id)
    assert total <= 60 * 1024 * 1024
    assert min(sizes) < 16 * 1024 < 2 * 1024 * 1024 < max(sizes)


async def test_demo_in_flight_orders_hold_still_but_can_be_cancelled() -> None:
    emulator = Emulator.demo(time_scale=None)
    before = sorted(emulator.state.order_status(o) for o in emulator.state.orders.values())
    emulator.clock.advance(3600)
    after = sorted(emulator.state.order_status(o) for o in emulator.state.orders.values())
    assert before == after
    waiting = next(
        o for o in emulator.state.orders.values() if emulator.state.order_status(o) == "Registered"
    )
    emulator.state.cancel_order(waiting)
    assert emulator.state.order_status(waiting) == "Canceled"


def test_demo_is_the_same_on_every_build() -> None:
    first, second = Emulator.demo(time_scale=None), Emulator.demo(time_scale=None)
    assert list(first.state.orders) == list(second.state.orders)
    assert list(first.state.files) == list(second.state.files)


def _entries(emulator: Emulator, order_id: str) -> list[dict[str, str]]:
    from galatea_async.emulator import _lifecycle

    order = emulator.state.orders[order_id]
    return _lifecycle.result_type_entries(order.model, emulator.state.order_status(order))


async def test_prepared_results_are_served_without_generating_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `galatea demo` prepares the demo's result files before it times the downloads: then
    # serving them generates nothing, and the bytes are the same as generated on demand.
    demo = Emulator.demo(time_scale=None)
    on_demand = {
        (order.id, kind): demo.state.result_blob(order, kind, None)[0].md5_hex()
        for order in list(demo.state.orders.values())[:4]
        for kind in sorted(order.result_sizes)
    }
    prepared = Emulator.demo(time_scale=None)

    def generate(*args: object, **kwargs: object) -> object:
        raise AssertionError("a result was generated while serving")

    async with prepared.serve(prepare_results=True) as base_url:
        monkeypatch.setattr("galatea_async.emulator._state.result_content", generate)
        async with httpx.AsyncClient(
            base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}
        ) as client:
            for (order_id, kind), md5 in on_demand.items():
                response = await client.get(
                    f"/data/results/{order_id}/download", params={"result_type": kind}
                )
                assert response.status_code == 200
                assert hashlib.md5(response.content, usedforsecurity=False).hexdigest() == md5


def test_prepare_results_builds_every_result_the_orders_have() -> None:
    demo = Emulator.demo(time_scale=None)
    built = demo.prepare_results()
    completed = [o for o in demo.state.orders.values() if demo.order_status(o.id) == "Completed"]
    assert built >= 4 * len(completed)
    assert len(demo.state._results) == built


async def test_serve_in_thread_answers_from_its_own_thread_and_stops(emulator: Emulator) -> None:
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 300_000})
    async with emulator.serve_in_thread(prepare_results=True) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert [t.name for t in threading.enumerate()].count("galatea-emulator") == 1
        async with httpx.AsyncClient(
            base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as client:
            me = await client.get("/users/me")
            body = await client.get(
                f"/data/results/{order_id}/download", params={"result_type": "SUMMARY_CHROMS"}
            )
        assert me.status_code == 200
        assert len(body.content) == 300_000
    assert "galatea-emulator" not in [t.name for t in threading.enumerate()]
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base_url}/api/v1/users/me")


async def test_serve_in_thread_says_when_it_cannot_listen(emulator: Emulator) -> None:
    async with emulator.serve() as base_url:
        taken = int(base_url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="could not serve"):
            async with emulator.serve_in_thread(port=taken):
                pass
