"""API calls and downloads through a real forward proxy (proxy.py), on both transports.

Plain HTTP is forwarded by the proxy (the server sees its ``Via``), HTTPS is tunnelled with
``CONNECT`` to a TLS server with ``trustme`` certificates; the proxy requires credentials, so
a request that did not go through it with the right ones cannot succeed.
"""

from __future__ import annotations

import logging
import socket
import ssl
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from galatea_async import (
    APIConnectionError,
    AsyncGalatea,
    AuthenticationError,
    ProxyError,
    RetryPolicy,
)
from tests.conftest import API_KEY
from tests.proxy_support import PROXY_PASSWORD, PROXY_USER, ForwardProxy, forward_proxy
from tests.tls_support import ANSWER, JsonServer, private_ca

pytestmark = pytest.mark.usefixtures("transport_kind")

ORDER_ID = str(uuid.uuid4())
NO_RETRIES = RetryPolicy(max_retries=0)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    with forward_proxy(tmp_path_factory.mktemp("proxy"), basic_auth=True) as running:
        yield running


@pytest.fixture
async def plain_server() -> AsyncIterator[JsonServer]:
    async with JsonServer() as server:
        yield server


@pytest.fixture
def ca(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    _, bundle, server_context = private_ca(tmp_path)
    return bundle, server_context


@pytest.fixture
async def tls_server(ca: tuple[Path, ssl.SSLContext]) -> AsyncIterator[JsonServer]:
    async with JsonServer(tls=ca[1]) as server:
        yield server


@pytest.fixture
def dead_proxy_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(server: JsonServer, **options: object) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=API_KEY, base_url=server.base_url, retry_policy=NO_RETRIES, **options
    )  # type: ignore[arg-type]


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert PROXY_PASSWORD not in text
        assert API_KEY not in text


async def test_plain_http_goes_through_the_proxy_given_as_proxy(
    proxy: ForwardProxy, plain_server: JsonServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(plain_server, proxy=proxy.url(PROXY_USER, PROXY_PASSWORD))
    async with client:
        assert await client.results.json(ORDER_ID) == ANSWER
        _assert_no_secret(repr(client))
    (request,) = plain_server.requests
    assert "proxy.py" in request.headers["via"]
    assert "proxy-authorization" not in request.headers  # the proxy's, never the API's
    _assert_no_secret(caplog.text)


async def test_downloads_go_through_the_proxy_too(
    proxy: ForwardProxy, plain_server: JsonServer, tmp_path: Path
) -> None:
    async with _client(plain_server, proxy=proxy.url(PROXY_USER, PROXY_PASSWORD)) as client:
        path = await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path / "out/")
    assert path.read_bytes() == b'{"ok": true}'
    assert all("proxy.py" in request.headers["via"] for request in plain_server.requests)


@pytest.mark.parametrize("right", [True, False], ids=["right-credentials", "wrong-credentials"])
async def test_https_is_tunnelled_through_the_proxy_named_by_https_proxy(
    proxy: ForwardProxy,
    tls_server: JsonServer,
    ca: tuple[Path, ssl.SSLContext],
    monkeypatch: pytest.MonkeyPatch,
    right: bool,
) -> None:
    # Only the tunnel through the proxy depends on the credentials: with the wrong ones the
    # call fails, so the right ones passing proves the request went through the proxy.
    password = PROXY_PASSWORD if right else PROXY_PASSWORD + "-wrong"
    monkeypatch.setenv("HTTPS_PROXY", proxy.url(PROXY_USER, password))
    async with _client(tls_server, verify=ca[0]) as client:
        if right:
            assert await client.results.json(ORDER_ID) == ANSWER
        else:
            with pytest.raises(ProxyError, match="refused its credentials"):
                await client.results.json(ORDER_ID)
    assert len(tls_server.requests) == (1 if right else 0)


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_wrong_proxy_credentials_are_the_proxys_refusal_not_the_api_keys(
    proxy: ForwardProxy,
    plain_server: JsonServer,
    tls_server: JsonServer,
    ca: tuple[Path, ssl.SSLContext],
    scheme: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = tls_server if scheme == "https" else plain_server
    wrong = proxy.url(PROXY_USER, PROXY_PASSWORD + "-wrong")
    async with _client(server, proxy=wrong, verify=ca[0]) as client:
        with pytest.raises(ProxyError) as caught:
            await client.results.json(ORDER_ID)
    error = caught.value
    assert isinstance(error, APIConnectionError)
    assert not isinstance(error, AuthenticationError)
    assert "refused its credentials" in str(error)
    assert "407" in str(error)
    assert error.proxy == f"http://***@127.0.0.1:{proxy.port}"
    assert server.requests == []
    _assert_no_secret(str(error), repr(error), caplog.text)
    # The whole traceback, causes included, as a logger.exception or an error tracker shows it.
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert PROXY_PASSWORD + "-wrong" not in str(error) + caplog.text + shown


async def test_a_proxy_that_is_down_is_named_with_its_credentials_masked(
    plain_server: JsonServer, dead_proxy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "HTTP_PROXY", f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{dead_proxy_port}"
    )
    async with _client(plain_server) as client:
        with pytest.raises(ProxyError) as caught:
            await client.results.json(ORDER_ID)
    message = str(caught.value)
    assert f"could not connect to the proxy http://***@127.0.0.1:{dead_proxy_port}" in message
    _assert_no_secret(message, repr(caught.value))
    assert plain_server.requests == []


async def test_no_proxy_sends_the_request_directly(
    plain_server: JsonServer, dead_proxy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead_proxy_port}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with _client(plain_server) as client:
        assert await client.results.json(ORDER_ID) == ANSWER
    assert "via" not in plain_server.requests[0].headers


async def test_trust_env_false_ignores_the_proxy_variables(
    plain_server: JsonServer, dead_proxy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead_proxy_port}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{dead_proxy_port}")
    async with _client(plain_server, trust_env=False) as client:
        assert await client.results.json(ORDER_ID) == ANSWER
    async with _client(plain_server) as client:
        with pytest.raises(ProxyError):
            await client.results.json(ORDER_ID)
