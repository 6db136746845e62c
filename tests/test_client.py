"""Constructing, configuring and closing AsyncGalatea."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import galatea_async
from galatea_async import AsyncGalatea
from galatea_async._base_url import api_root
from tests import payloads
from tests.conftest import API_KEY
from tests.transports import make_transport


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("https://api.galatea.bio", "https://api.galatea.bio/api/v1/"),
        ("https://api.galatea.bio/", "https://api.galatea.bio/api/v1/"),
        ("https://api.galatea.bio/api/v1", "https://api.galatea.bio/api/v1/"),
        ("https://api.galatea.bio/api/v1/", "https://api.galatea.bio/api/v1/"),
        ("https://proxy.example/galatea/api/v1", "https://proxy.example/galatea/api/v1/"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api/v1/"),
        ("http://localhost:8765/api/v1", "http://localhost:8765/api/v1/"),
    ],
)
def test_base_url_with_or_without_api_prefix(given: str, root: str) -> None:
    assert str(api_root(given)) == root


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://api.galatea.bio",
        "api.galatea.bio",
        "http://api.galatea.bio",
        "https://x.example/?a=1",
    ],
)
def test_bad_base_urls_are_refused_with_the_fix(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        api_root(bad)


def test_environments() -> None:
    assert galatea_async.PRODUCTION == "https://api.galatea.bio"
    assert galatea_async.SANDBOX == "https://api.sandbox.galatea.bio"


async def test_no_credentials_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="GALATEA_API_KEY"):
        AsyncGalatea()


async def test_email_without_password_is_refused() -> None:
    with pytest.raises(ValueError, match="password is missing"):
        AsyncGalatea(email="lab@example.com")


async def test_api_key_and_password_together_are_refused() -> None:
    with pytest.raises(ValueError, match="either api_key or email"):
        AsyncGalatea(api_key="k" * 20, email="a@b.c", password="p" * 10)


async def test_environment_variables_configure_the_client(
    monkeypatch: pytest.MonkeyPatch, router: respx.Router
) -> None:
    monkeypatch.setenv("GALATEA_API_KEY", "env-api-key-123456")
    monkeypatch.setenv("GALATEA_BASE_URL", "https://api.galatea.test/api/v1")
    route = router.get("/users/me").respond(json=payloads.user())
    async with AsyncGalatea(transport=httpx.MockTransport(router.async_handler)) as client:
        assert str(client.base_url) == "https://api.galatea.test/api/v1/"
        await client.users.me()
    assert route.calls.last.request.headers["Authorization"] == "Bearer env-api-key-123456"


async def test_environment_email_and_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GALATEA_EMAIL", "lab@example.com")
    monkeypatch.setenv("GALATEA_PASSWORD", "pw-from-environment")
    async with AsyncGalatea() as client:
        assert "tokens" in repr(client)
        assert "pw-from-environment" not in repr(client)


async def test_injected_http_client_is_used_and_not_closed(router: respx.Router) -> None:
    router.get("/users/me").respond(json=payloads.user())
    http = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))
    async with AsyncGalatea(
        api_key="k" * 20, base_url="https://api.galatea.test", http_client=http
    ) as client:
        assert client.http_client is http
        await client.users.me()
    assert not http.is_closed
    await http.aclose()


async def test_owned_http_client_is_closed() -> None:
    client = AsyncGalatea(api_key="k" * 20)
    await client.aclose()
    assert client.http_client.is_closed
    await client.aclose()  # twice is harmless


async def test_with_options_is_a_view_that_shares_and_does_not_close(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/users/me").respond(json=payloads.user())
    view = client.with_options(timeout=3, max_retries=0, deadline=None)
    assert view.http_client is client.http_client
    assert view._requester.options.retry.max_retries == 0
    assert view._requester.options.deadline is None
    assert view._requester.budget is client._requester.budget
    assert client._requester.options.retry.max_retries == 2
    await view.users.me()
    await view.aclose()
    assert not client.http_client.is_closed


async def test_download_many_concurrency_beyond_the_pool_is_refused_before_any_request(
    client: AsyncGalatea, router: respx.Router
) -> None:
    with pytest.raises(ValueError, match="max_connections"):
        await client.results.download_many(
            [(payloads.ORDER_ID, "SUMMARY_CHROMS")], "out", concurrency=500
        )
    assert not router.calls


@pytest.mark.parametrize(
    "given",
    [
        "https://lab-user:hunter2-secret@api.galatea.bio",
        "https://:hunter2-secret@api.galatea.bio/api/v1",
        "http://lab-user:hunter2-secret@api.galatea.bio",
        "ftp://lab-user:hunter2-secret@api.galatea.bio",
    ],
)
def test_credentials_in_base_url_are_refused_without_echoing_them(given: str) -> None:
    with pytest.raises(ValueError, match="must not carry a user name or password") as caught:
        AsyncGalatea(api_key="k" * 20, base_url=given)
    assert "hunter2" not in str(caught.value)
    assert "lab-user" not in str(caught.value)
    assert "api_key=" in str(caught.value)


async def test_plain_http_is_fine_with_an_in_process_app(emulator: Any) -> None:
    async with AsyncGalatea(
        api_key=emulator.api_key,
        base_url="http://testserver",
        transport=httpx.ASGITransport(app=emulator.app),
    ) as client:
        me = await client.users.me()
    assert me.email == emulator.email


@pytest.mark.parametrize("transport_kind", ["aiohttp", "httpx"])
def test_plain_http_to_a_remote_host_is_refused_on_real_transports(transport_kind: str) -> None:
    with pytest.raises(ValueError, match="plain http to a remote host"):
        AsyncGalatea(
            api_key="k" * 20,
            base_url="http://testserver",
            transport=make_transport(transport_kind),
        )
    with pytest.raises(ValueError, match="plain http to a remote host"):
        AsyncGalatea(api_key="k" * 20, base_url="http://api.galatea.bio")


async def test_with_options_headers_go_with_every_call(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/users/me").respond(json=payloads.user())
    view = client.with_options(headers={"X-Request-Id": "req-1", "traceparent": "00-abc-def-01"})
    await view.with_options(headers={"X-Request-Id": "req-2"}).users.me()
    await client.users.me()
    first, second = (call.request.headers for call in route.calls)
    assert first["x-request-id"] == "req-2"
    assert first["traceparent"] == "00-abc-def-01"
    assert first["authorization"] == f"Bearer {API_KEY}"
    assert "x-request-id" not in second


@pytest.mark.parametrize(
    ("headers", "error", "message"),
    [
        ({"Authorization": "Bearer other"}, ValueError, "Authorization: credentials"),
        ({"authorization": "Basic x"}, ValueError, "credentials are the client's own"),
        ({"Proxy-Authorization": "x"}, ValueError, "credentials"),
        ({"Accept-Encoding": "br"}, ValueError, "Accept-Encoding"),
        ({"Range": "bytes=0-1"}, ValueError, "Range"),
        ({"Content-Length": "5"}, ValueError, "Content-Length"),
        ({"X-Bad\nName": "v"}, ValueError, "not a valid HTTP header name"),
        ({"X-Id": "a\r\nInjected: yes"}, ValueError, "line break"),
        ({"X-Id": 5}, TypeError, "must be a str"),
    ],
)
def test_with_options_headers_never_replace_credentials_or_framing(
    client: AsyncGalatea, headers: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        client.with_options(headers=headers)
    assert "Bearer other" not in str(caught.value)
