"""Fixtures of the hostile suite: the server, a client factory on it, the DEBUG log, a destination.

Every case runs over both transports (``transport_kind``). Clients get fast retries (no
backoff), short timeouts and deadline, and small transfer chunks, so each case ends within a
couple of seconds whatever the server does.

Two checks hold for every case, on top of its own: the log of every logger at DEBUG (httpx
and httpcore included) shows no canary, and the Python memory traced while the test runs
peaks under ``EVERY_CASE_MEMORY``. They run as part of the test call, so a strict xfail
covers them like any assertion of the test itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from galatea_async import AsyncGalatea, RetryPolicy, TransferOptions
from galatea_async.cli import cli
from tests.integration.hostile.checks import API_KEY, assert_no_canary, peak_memory
from tests.integration.hostile.server import HostileServer, serve_in_thread
from tests.transports import make_transport

# Generous: a test's own server bodies and models stay far below; a bomb decoded whole or a
# window of huge pages held at once does not. Cases with a tighter bound assert it themselves.
EVERY_CASE_MEMORY = 96 << 20

FAST_RETRIES = RetryPolicy(max_retries=2, backoff_initial=0.0, backoff_max=0.0, retry_after_max=0.0)
SMALL_TRANSFERS = TransferOptions(chunk_size=64 << 10, max_resume_attempts=2, fsync=False)

Connect = Callable[..., AsyncGalatea]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Every case: no canary in the DEBUG log, memory under ``EVERY_CASE_MEMORY``."""
    with peak_memory() as peak:
        outcome = yield
    caplog = getattr(item, "funcargs", {}).get("caplog")
    if caplog is not None:
        assert_no_canary(caplog.text)
    assert peak.bytes < EVERY_CASE_MEMORY, f"the test peaked at {peak.mebibytes:.0f} MiB"
    return outcome


@pytest.fixture(autouse=True)
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG (httpx and httpcore included): what a leak check reads."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    """The hostile API on 127.0.0.1."""
    async with HostileServer() as running:
        yield running


@pytest.fixture
async def elsewhere() -> AsyncIterator[HostileServer]:
    """A second server on another port: another origin, that must never see a credential."""
    async with HostileServer() as running:
        yield running


@pytest.fixture
async def connect(server: HostileServer, transport_kind: str) -> AsyncIterator[Connect]:
    """``connect(**options)``: an API-key client on ``server`` over the transport under test."""
    made: list[AsyncGalatea] = []

    def make(**overrides: Any) -> AsyncGalatea:
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": server.base_url,
            "transport": make_transport(transport_kind),
            "retry_policy": FAST_RETRIES,
            "timeout": httpx.Timeout(1.0),
            "deadline": 5.0,
            "transfer_options": SMALL_TRANSFERS,
        }
        options.update(overrides)
        if "email" in overrides:
            options.pop("api_key")
        client = AsyncGalatea(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """An empty destination directory."""
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


@pytest.fixture
def threaded_server() -> Iterator[HostileServer]:
    """The hostile API on a loop of its own thread, for the ``galatea`` command (which runs its
    own event loop)."""
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def galatea(
    tmp_path: Path, transport_kind: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``galatea(*args)``: the command run in-process, on the transport under test."""
    monkeypatch.setenv("GALATEA_TRANSPORT", transport_kind)
    config = tmp_path / "config.toml"

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    return run
