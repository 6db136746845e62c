"""The verifying TLS context is built once per process, off the event loop, only when needed."""

from __future__ import annotations

import ssl
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from galatea_async import AsyncGalatea
from galatea_async._http import _tls
from tests.conftest import API_KEY
from tests.tls_support import ANSWER, JsonServer, private_ca

pytestmark = pytest.mark.usefixtures("transport_kind")

ORDER_ID = "9085d0d2-3333-1111-2222-4114602c2aa6"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread of each ``build_ssl_context`` call, on a fresh process-wide cache."""
    calls: list[str] = []
    real = _tls.build_ssl_context

    def counting(settings: _tls.TrustSettings) -> ssl.SSLContext:
        calls.append(threading.current_thread().name)
        return real(settings)

    monkeypatch.setattr(_tls, "build_ssl_context", counting)
    monkeypatch.setattr(_tls, "_contexts", {})
    return calls


@pytest.fixture
async def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[JsonServer]:
    _, bundle, server_context = private_ca(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with JsonServer(tls=server_context) as server:
        yield server


async def test_a_plain_http_client_builds_no_tls_context(builds: list[str]) -> None:
    async with (
        JsonServer() as server,
        AsyncGalatea(api_key=API_KEY, base_url=server.base_url) as client,
    ):
        assert await client.results.json(ORDER_ID) == ANSWER
    assert builds == []


async def test_several_https_clients_share_one_context_built_off_the_loop(
    builds: list[str], tls_server: JsonServer
) -> None:
    for _ in range(3):
        async with AsyncGalatea(api_key=API_KEY, base_url=tls_server.base_url) as client:
            assert await client.results.json(ORDER_ID) == ANSWER
            assert await client.results.json(ORDER_ID) == ANSWER
    assert len(builds) == 1
    assert builds[0] != threading.main_thread().name


async def test_constructing_a_client_builds_no_context(builds: list[str]) -> None:
    async with AsyncGalatea(api_key=API_KEY):
        pass
    assert builds == []
