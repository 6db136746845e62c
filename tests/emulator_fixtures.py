"""Pytest fixtures for the emulator (loaded by tests/conftest.py as a plugin).

- ``emulator``: a fresh :class:`Emulator` on a manual clock with short stages (validation
  60 s, each order stage 10 s, access tokens 300 s; all emulated, moved by
  ``emulator.clock.advance``).
- ``demo_emulator``: ``Emulator.demo()`` on a manual clock.
- ``emulator_url``: the ``emulator`` served over TCP on 127.0.0.1; yields the base URL
  ``http://127.0.0.1:PORT`` (no ``/api/v1``).
- ``emulator_api``: an ``httpx.AsyncClient`` on the ``emulator``'s ASGI app, rooted at
  ``/api/v1/`` and authenticated with its API key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from galatea_async.emulator import Emulator


def make_emulator(**options: object) -> Emulator:
    """A manual-clock emulator with short, test-friendly durations."""
    settings: dict[str, object] = {
        "time_scale": None,
        "validation_seconds": 60.0,
        "order_stage_seconds": 10.0,
        "access_token_ttl": 300.0,
    }
    settings.update(options)
    return Emulator(**settings)  # type: ignore[arg-type]


@pytest.fixture
def emulator() -> Emulator:
    """A fresh emulator on a manual clock."""
    return make_emulator()


@pytest.fixture
def demo_emulator() -> Emulator:
    """The demo world on a manual clock."""
    return Emulator.demo(time_scale=None)


@pytest.fixture
async def emulator_url(emulator: Emulator) -> AsyncIterator[str]:
    """The ``emulator`` served over real TCP; yields ``http://127.0.0.1:PORT``."""
    async with emulator.serve() as base_url:
        yield base_url


@pytest.fixture
async def emulator_api(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the emulator's ASGI app, at ``/api/v1/``, with the API key."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://testserver/api/v1/",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    ) as client:
        yield client
