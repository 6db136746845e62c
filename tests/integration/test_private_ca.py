"""TLS to a server whose certificate a private CA signed: refused, then trusted when told.

A real TLS server on 127.0.0.1 with ``trustme`` certificates, on both transports.
"""

from __future__ import annotations

import ssl
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from galatea_async import APIConnectionError, AsyncGalatea, RetryPolicy
from galatea_async._http import _tls
from tests.conftest import API_KEY
from tests.tls_support import ANSWER, JsonServer, hashed_ca_directory, private_ca

pytestmark = pytest.mark.usefixtures("transport_kind")

ORDER_ID = str(uuid.uuid4())
NO_RETRIES = RetryPolicy(max_retries=0)


@pytest.fixture
def ca_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ssl.SSLContext]:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    _, bundle, server_context = private_ca(tmp_path)
    return bundle, server_context


@pytest.fixture
async def tls_server(ca_files: tuple[Path, ssl.SSLContext]) -> AsyncIterator[JsonServer]:
    async with JsonServer(tls=ca_files[1]) as server:
        yield server


def _client(server: JsonServer, **options: object) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=API_KEY, base_url=server.base_url, retry_policy=NO_RETRIES, **options
    )  # type: ignore[arg-type]


async def test_a_private_ca_is_refused_with_how_to_pass_its_bundle(tls_server: JsonServer) -> None:
    async with _client(tls_server) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.results.json(ORDER_ID)
    message = str(caught.value)
    assert "certificate verification failed" in message
    assert "verify=" in message and "SSL_CERT_FILE" in message
    assert "certifi" in message  # what was trusted instead
    assert len(tls_server.requests) == 0  # the handshake failed: no request, no retry


async def test_the_bundle_passed_as_verify_is_trusted(
    tls_server: JsonServer, ca_files: tuple[Path, ssl.SSLContext]
) -> None:
    async with _client(tls_server, verify=ca_files[0]) as client:
        assert await client.results.json(ORDER_ID) == ANSWER
    async with _client(tls_server, verify=str(ca_files[0])) as client:
        assert await client.results.json(ORDER_ID) == ANSWER


async def test_an_ssl_context_passed_as_verify_is_used(
    tls_server: JsonServer, ca_files: tuple[Path, ssl.SSLContext]
) -> None:
    context = ssl.create_default_context(cafile=str(ca_files[0]))
    async with _client(tls_server, verify=context) as client:
        assert await client.results.json(ORDER_ID) == ANSWER


async def test_ssl_cert_file_is_honoured_unless_trust_env_is_false(
    tls_server: JsonServer, ca_files: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_files[0]))
    async with _client(tls_server) as client:
        assert await client.results.json(ORDER_ID) == ANSWER
    async with _client(tls_server, trust_env=False) as client:
        with pytest.raises(APIConnectionError, match="certificate verification failed"):
            await client.results.json(ORDER_ID)


async def test_ssl_cert_dir_is_honoured(
    tls_server: JsonServer, ca_files: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = hashed_ca_directory(ca_files[0], ca_files[0].parent / "certs")
    monkeypatch.setenv("SSL_CERT_DIR", str(directory))
    async with _client(tls_server) as client:
        assert await client.results.json(ORDER_ID) == ANSWER


async def test_verify_false_warns_loudly_and_connects(tls_server: JsonServer) -> None:
    with pytest.warns(UserWarning, match="NOT verified"):
        client = _client(tls_server, verify=False)
    async with client:
        assert await client.results.json(ORDER_ID) == ANSWER


def test_a_verify_path_that_does_not_exist_is_refused_naming_verify(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="verify="):
        AsyncGalatea(api_key=API_KEY, verify=tmp_path / "missing.pem")


def test_a_verify_of_the_wrong_type_is_refused() -> None:
    with warnings.catch_warnings(), pytest.raises(TypeError, match="verify"):
        AsyncGalatea(api_key=API_KEY, verify=1)  # type: ignore[arg-type]


def test_the_system_trust_store_is_chosen_by_galatea_trust_store() -> None:
    settings = _tls.TrustSettings.from_settings(
        True, trust_env=True, environ={"GALATEA_TRUST_STORE": "system"}
    )
    assert settings.system_store
    context = _tls.build_ssl_context(settings)
    assert type(context).__module__.startswith("truststore")
