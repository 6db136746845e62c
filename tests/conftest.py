"""Shared fixtures: a respx-backed client for unit tests; the emulator's fixtures as a plugin."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx

from tests.transports import TRANSPORTS, make_transport

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

pytest_plugins = ["tests.emulator_fixtures", "tests.transfer_support"]

API_KEY = "test-api-key-0123456789abcdef"
BASE_URL = "https://api.galatea.test"
API_ROOT = f"{BASE_URL}/api/v1"


@pytest.fixture(autouse=True)
def _no_galatea_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real credentials from the environment."""
    for name in list(os.environ):
        if name.startswith("GALATEA_") and name != "GALATEA_TRANSPORT":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def router() -> respx.Router:
    """A respx router for the fake API root; unmatched requests fail the test."""
    return respx.Router(base_url=API_ROOT, assert_all_called=False)


@pytest.fixture
async def client(router: respx.Router) -> AsyncIterator[AsyncGalatea]:
    """An API-key client whose requests go to ``router``."""
    from galatea_async import AsyncGalatea

    async with AsyncGalatea(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(router.async_handler)
    ) as galatea:
        yield galatea


@pytest.fixture(params=TRANSPORTS)
def transport_kind(request: pytest.FixtureRequest) -> str:
    """Each integration test runs once per transport: the whole suite passes on both."""
    return str(request.param)


@pytest.fixture
async def live_client(
    emulator: Any, emulator_url: str, transport_kind: str
) -> AsyncIterator[AsyncGalatea]:
    """An API-key client talking to the emulator over real TCP on 127.0.0.1."""
    from galatea_async import AsyncGalatea

    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport(transport_kind)
    ) as galatea:
        yield galatea
