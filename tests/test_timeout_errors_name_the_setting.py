"""A timeout's error names the phase that ran out and the setting that changes it, through the
public client (respx) and for each kind of httpx timeout."""

from __future__ import annotations

import httpx
import pytest
import respx

from galatea_async import AsyncGalatea
from galatea_async.errors import APITimeoutError

BASE = "https://api.galatea.test"


@pytest.mark.parametrize(
    ("raised", "phase"),
    [
        (httpx.ConnectTimeout("connect took too long"), "connect"),
        (httpx.ReadTimeout("read took too long"), "read"),
        (httpx.WriteTimeout("write took too long"), "write"),
        (httpx.PoolTimeout("no connection came free"), "pool"),
    ],
)
async def test_a_timeout_names_its_phase_and_the_setting_that_changes_it(
    raised: httpx.TimeoutException, phase: str
) -> None:
    router = respx.Router(base_url=BASE)
    router.get("/api/v1/users/me").mock(side_effect=raised)
    async with AsyncGalatea(
        api_key="k" * 20,
        base_url=BASE,
        max_retries=0,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.users.me()
    message = str(caught.value)
    assert f"the {phase} timeout" in message
    assert f"httpx.Timeout(..., {phase}=" in message
    assert "with_options(timeout=" in message
