"""Bad arguments are refused at the call, before any request, each message naming the parameter."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

import galatea_async
from galatea_async import AsyncGalatea, TransferOptions
from galatea_async._base_url import api_root
from tests.conftest import API_KEY, BASE_URL

ORDER_ID = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("arguments", "error", "named"),
    [
        ({"api_key": 123}, TypeError, "api_key"),
        ({"api_key": b"bytes-key-0123456789"}, TypeError, "api_key"),
        ({"api_key": API_KEY, "timeout": -1}, ValueError, "timeout"),
        ({"api_key": API_KEY, "timeout": "10"}, TypeError, "timeout"),
        ({"api_key": API_KEY, "deadline": -5}, ValueError, "deadline"),
        ({"api_key": API_KEY, "deadline": "10"}, TypeError, "deadline"),
        ({"api_key": API_KEY, "max_connections": "5"}, TypeError, "max_connections"),
        ({"api_key": API_KEY, "max_connections": 0}, ValueError, "max_connections"),
        ({"email": 7, "password": "a-password-123"}, TypeError, "email"),
        ({"email": "a@b.example", "password": b"secret-pw"}, TypeError, "password"),
    ],
)
def test_client_arguments_of_the_wrong_kind_are_refused_naming_them(
    arguments: dict[str, Any], error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named) as caught:
        AsyncGalatea(base_url=BASE_URL, **arguments)
    assert "secret-pw" not in str(caught.value)
    assert "bytes-key" not in str(caught.value)


def test_a_base_url_with_a_space_in_its_path_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        api_root("https://api.galatea.bio/ api")
    assert "space" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("sandbox", galatea_async.SANDBOX),
        ("production", galatea_async.PRODUCTION),
        (" Sandbox ", galatea_async.SANDBOX),
    ],
)
def test_named_environments_are_base_urls(name: str, url: str) -> None:
    assert str(api_root(name)) == f"{url}/api/v1/"


async def test_galatea_base_url_sandbox_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GALATEA_BASE_URL", "sandbox")
    async with AsyncGalatea(api_key=API_KEY) as client:
        assert str(client.base_url) == f"{galatea_async.SANDBOX}/api/v1/"


def test_a_boolean_chunk_size_is_refused() -> None:
    with pytest.raises(TypeError, match="chunk_size"):
        TransferOptions(chunk_size=True)


@pytest.fixture
async def unreachable_client() -> Any:
    # Every route unmatched: a request sent would fail the test with respx's error.
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        async with AsyncGalatea(api_key=API_KEY, base_url=BASE_URL) as client:
            yield client
        assert not router.calls


def _calls(client: AsyncGalatea, dest: Any, progress: Any) -> list[Callable[[], Awaitable[Any]]]:
    results, files = client.results, client.files
    return [
        lambda: results.download(ORDER_ID, "SUMMARY_CHROMS", dest, progress=progress),
        lambda: results.download_pdf_report(ORDER_ID, ORDER_ID, dest, progress=progress),
        lambda: results.download_many([(ORDER_ID, "SUMMARY_CHROMS")], dest, progress=progress),
        lambda: results.sync(dest, progress=progress),
        lambda: files.download(ORDER_ID, dest, progress=progress),
    ]


async def test_a_dest_with_nul_is_refused_before_any_request(
    unreachable_client: AsyncGalatea, tmp_path: os.PathLike[str]
) -> None:
    for call in _calls(unreachable_client, f"{tmp_path}/bad\0name", None):
        with pytest.raises(ValueError, match="dest"):
            await call()


async def test_a_progress_that_is_not_callable_is_refused_before_any_request(
    unreachable_client: AsyncGalatea, tmp_path: os.PathLike[str]
) -> None:
    for call in _calls(unreachable_client, tmp_path, "every second"):
        with pytest.raises(TypeError, match="progress"):
            await call()


@pytest.mark.parametrize("bad", ["abc\ndef-secret-123", "abc def-secret-123", "kéy-secret-1234"])
def test_an_api_key_that_cannot_be_a_header_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="api_key") as caught:
        AsyncGalatea(api_key=bad, base_url=BASE_URL)
    assert "secret" not in str(caught.value)


async def test_an_api_key_with_surrounding_space_is_used_without_it(router: respx.Router) -> None:
    route = router.get("users/me").respond(404, json={"detail": "none"})
    transport = httpx.MockTransport(router.async_handler)
    async with AsyncGalatea(api_key=f"  {API_KEY}\n", base_url=BASE_URL, transport=transport) as c:
        with pytest.raises(galatea_async.NotFoundError):
            await c.users.me()
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"
