"""The store refuses in its own terms (emulator/_store_errors.py); the app answers each."""

from __future__ import annotations

import httpx
import pytest

from galatea_async.emulator import Emulator
from galatea_async.emulator._queries import OrderSubmission
from galatea_async.emulator._store_errors import InvalidRequest, NotAuthenticated, NotFound


def test_the_store_raises_domain_errors_not_http_answers(emulator: Emulator) -> None:
    state = emulator.state
    with pytest.raises(NotFound, match="Not found"):
        state.live_order("no-such-order")
    with pytest.raises(InvalidRequest, match="source_file_id: source file not found"):
        state.submit_order(OrderSubmission(source_file_id=None, model_name=None), "me")
    done = state.orders[emulator.add_order(status="Completed")]
    with pytest.raises(InvalidRequest, match="only Registered or Submitted"):
        state.cancel_order(done)
    with pytest.raises(NotAuthenticated, match="No active account"):
        state.accounts.login(emulator.email, "wrong password")


async def test_the_app_answers_each_refusal_with_its_status(emulator: Emulator) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    ) as api:
        missing = await api.post("/exec/cancel", json={"order_id": "no-such-order"})
        invalid = await api.post("/exec/orders", json={"model_name": "x"})
        refused = await api.post("/users/auth", json={"email": "a@b.c", "password": "x"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert (invalid.status_code, invalid.json()["detail"]) == (
        400,
        "source_file_id: source file not found",
    )
    assert refused.status_code == 401
