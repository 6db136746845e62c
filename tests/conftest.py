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

pytest_plugins = ["tests.emulator_fixtures", "tests.tracing_support", "tests.transfer_support"]

API_KEY = "test-api-key-0123456789abcdef"
BASE_URL = "https://api.galatea.test"
API_ROOT = f"{BASE_URL}/api/v1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a test of many seconds; its file is handed to a worker first"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a ``slow`` test first, then the others by number of tests, most first.

    pytest-xdist (``--dist loadfile`` with ``--no-loadscope-reorder``) hands the files to its
    workers in this order. Started last, one long file would keep one worker busy alone at
    the end of the run while the other has finished.
    """
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ordered = sorted(
        files.values(),
        key=lambda tests: (not any(test.get_closest_marker("slow") for test in tests), -len(tests)),
    )
    items[:] = [item for tests in ordered for item in tests]


@pytest.fixture(autouse=True)
def _no_galatea_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's credentials, transport or terminal size.

    ``COLUMNS``/``LINES`` would narrow the CLI's tables (pytest-xdist's workers set them to
    80x24), and the CLI tests read whole ids out of those tables.
    """
    for name in list(os.environ):
        if name.startswith("GALATEA_") or name in ("COLUMNS", "LINES"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never send a developer's traffic to 127.0.0.1 through a proxy of the machine
    (the SDK honours ``HTTP(S)_PROXY``/``ALL_PROXY``); the proxy tests set their own."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


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
def transport_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A transport-dependent test runs once per transport (``aiohttp``, ``httpx``).

    It also sets ``GALATEA_TRANSPORT`` for the test, so a client built without ``transport=``
    (the CLI's, a journey's, a subprocess's) uses the same one. Modules whose every test
    depends on the transport say so with ``pytestmark = pytest.mark.usefixtures(
    "transport_kind")``; the rest of the suite runs once, on the default transport.
    """
    kind = str(request.param)
    monkeypatch.setenv("GALATEA_TRANSPORT", kind)
    return kind


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


@pytest.fixture
def httpx_objects(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts every httpx Request, Response, URL and Headers built, and every client send."""
    counts: dict[str, int] = {}

    def counting(name: str, original: Any) -> Any:
        def init(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[name] = counts.get(name, 0) + 1
            return original(self, *args, **kwargs)

        return init

    for name in ("Request", "Response", "URL", "Headers"):
        cls = getattr(httpx, name)
        monkeypatch.setattr(cls, "__init__", counting(name, cls.__init__))
    original_send = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> httpx.Response:
        counts["send"] = counts.get("send", 0) + 1
        return await original_send(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    return counts
