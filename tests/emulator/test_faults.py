"""Fault injection: the pure rule matcher, and each knob's effect over real TCP."""

from __future__ import annotations

import time

import httpx
import pytest

from galatea_async.emulator import Emulator
from galatea_async.emulator._faults import FaultInjector, FaultRule, take_rule


def test_rules_match_by_method_and_path_substring() -> None:
    rule = FaultRule("fail", path="/exec/orders", method="post")
    assert rule.matches("POST", "/api/v1/exec/orders")
    assert not rule.matches("GET", "/api/v1/exec/orders")
    assert not rule.matches("POST", "/api/v1/exec/tags")


def test_take_rule_uses_rules_in_order_and_drops_exhausted_ones() -> None:
    first, second = FaultRule("fail", remaining=2), FaultRule("html")
    rules = [first, second]
    assert take_rule(rules, "GET", "/x") is first
    assert take_rule(rules, "GET", "/x") is first
    assert take_rule(rules, "GET", "/x") is second
    assert take_rule(rules, "GET", "/x") is None
    assert rules == []


def test_apply_turns_knobs_from_json_and_rejects_unknown_ones() -> None:
    faults = FaultInjector()
    faults.apply({"latency": 0.5, "fail_next": {"count": 2, "status": 429, "retry_after": 3}})
    snapshot = faults.snapshot()
    assert snapshot["latency"] == 0.5
    assert snapshot["rules"][0]["retry_after"] == "3"
    faults.apply({"reset": True, "drop_after": [100]})
    assert faults.latency_seconds == 0.0
    assert [r.kind for r in faults.rules] == ["drop"]
    with pytest.raises(ValueError, match="unknown fault knob"):
        faults.apply({"explode": True})


@pytest.fixture
async def api(emulator_url: str, emulator: Emulator) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        base_url=f"{emulator_url}/api/v1/",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    )
    async with client:
        yield client  # type: ignore[misc]


async def test_fail_next_answers_503_with_retry_after_then_recovers(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    emulator.faults.fail_next(2, 503, retry_after="1", path="users/me")
    answers = [await api.get("users/me") for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["retry-after"] == "1"
    assert "detail" in answers[0].json()


async def test_fail_after_handling_creates_the_order_then_answers_500(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    emulator.faults.fail_next(1, 500, path="exec/orders", method="POST", after_handling=True)
    response = await api.post(
        "exec/orders", json={"source_file_id": file_id, "model_name": "ancestry data model one"}
    )
    assert response.status_code == 500
    assert len(emulator.state.orders) == 1


async def test_a_dropped_body_breaks_the_clients_read(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 2_000_000})
    emulator.faults.drop_after(300_000, path="/download")
    url = f"data/results/{order_id}/download?result_type=SUMMARY_CHROMS"
    received: list[int] = []

    async def read_all() -> None:
        async with api.stream("GET", url) as response:
            assert response.headers["content-length"] == "2000000"
            async for chunk in response.aiter_raw():
                received.append(len(chunk))

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await read_all()
    assert sum(received) == 300_000
    again = await api.get(url)
    assert len(again.content) == 2_000_000


async def test_stall_after_handling_times_out_the_client_but_the_order_exists(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    emulator.faults.stall(5, path="exec/orders", method="POST")
    with pytest.raises(httpx.ReadTimeout):
        await api.post(
            "exec/orders",
            json={"source_file_id": file_id, "model_name": "ancestry data model one"},
            timeout=0.3,
        )
    assert len(emulator.state.orders) == 1


async def test_html_truncated_json_and_redirect_answers(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    emulator.faults.html_next(path="users/me")
    html = await api.get("users/me")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    emulator.faults.truncate_json_next(path="users/me")
    truncated = await api.get("users/me")
    with pytest.raises(ValueError):  # noqa: PT011  (json's own error)
        truncated.json()
    emulator.faults.redirect_next("https://elsewhere.example/x", path="users/me")
    redirected = await api.get("users/me")
    assert redirected.status_code == 302
    assert redirected.headers["location"] == "https://elsewhere.example/x"


async def test_next_page_origin_moves_next_links_to_another_host(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    for number in range(3):
        emulator.add_tag(f"t{number}")
    emulator.faults.next_page_origin("https://evil.example")
    page = (await api.get("exec/tags", params={"page_size": 1})).json()
    assert page["next"].startswith("https://evil.example/api/v1/exec/tags?")


async def test_latency_and_bandwidth_slow_answers_down(
    emulator: Emulator, api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 40_000})
    emulator.faults.latency(0.2)
    started = time.monotonic()
    await api.get("users/me")
    assert time.monotonic() - started >= 0.2
    emulator.faults.latency(0)
    emulator.faults.bandwidth(200_000)
    started = time.monotonic()
    response = await api.get(f"data/results/{order_id}/download?result_type=SUMMARY_CHROMS")
    assert len(response.content) == 40_000
    assert time.monotonic() - started >= 0.18


async def test_control_endpoints_set_faults_advance_the_clock_and_expire_tokens(
    emulator: Emulator, emulator_url: str
) -> None:
    async with httpx.AsyncClient(base_url=f"{emulator_url}/_emulator/") as control:
        armed = await control.post("faults", json={"fail_next": {"count": 1, "status": 429}})
        assert armed.json()["rules"][0]["status"] == 429
        before = emulator.clock.now()
        await control.post("clock/advance", json={"seconds": 30})
        assert (emulator.clock.now() - before).total_seconds() == 30
        assert (await control.post("expire-tokens")).status_code == 200
        assert (await control.post("faults", json={"nope": 1})).status_code == 400
        assert (await control.get("faults")).json()["rules"][0]["kind"] == "fail"
