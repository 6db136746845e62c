"""An ``APIError`` carries the answer's headers (redacted) and the request id the server sent."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from galatea_async import AsyncGalatea
from galatea_async.errors import APIError, NotFoundError
from tests.conftest import API_KEY


@pytest.mark.parametrize("name", ["X-Request-ID", "X-Request-Id", "Request-Id", "x-request-id"])
async def test_the_request_id_is_on_the_error(
    client: AsyncGalatea, router: respx.Router, name: str
) -> None:
    router.get("users/me").respond(404, json={"detail": "gone"}, headers={name: "req-42"})
    with pytest.raises(NotFoundError) as caught:
        await client.users.me()
    assert caught.value.request_id == "req-42"
    assert caught.value.headers["content-type"] == "application/json"


async def test_no_request_id_header_gives_none(client: AsyncGalatea, router: respx.Router) -> None:
    router.get("users/me").respond(500, json={"detail": "boom"})
    with pytest.raises(APIError) as caught:
        await client.with_options(max_retries=0).users.me()
    assert caught.value.request_id is None


async def test_headers_on_the_error_are_redacted(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("users/me").respond(
        403,
        json={"detail": "no"},
        headers={
            "Set-Cookie": "session=abc123def456",
            "X-Echo": f"Bearer {API_KEY}",
            "Authorization": "Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
        },
    )
    with pytest.raises(APIError) as caught:
        await client.users.me()
    shown = repr(dict(caught.value.headers))
    assert API_KEY not in shown
    assert "abc123def456" not in shown
    assert "eyJhbGciOi" not in shown
    assert caught.value.headers["x-echo"] == "Bearer [REDACTED]"


async def test_the_log_line_of_a_failed_call_has_the_request_id(
    client: AsyncGalatea, router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="galatea_async")
    router.get("users/me").respond(404, json={"detail": "gone"}, headers={"X-Request-ID": "rq-77"})
    with pytest.raises(NotFoundError):
        await client.users.me()
    lines = [r.getMessage() for r in caplog.records if r.name == "galatea_async"]
    assert any("404" in line and "rq-77" in line for line in lines), lines


def test_headers_default_to_empty_when_built_by_hand() -> None:
    error = APIError("boom", status_code=500)
    assert dict(error.headers) == {}
    assert error.request_id is None


async def test_a_malformed_request_id_is_not_taken_whole(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("users/me").respond(404, json={}, headers=httpx.Headers({"X-Request-ID": "a" * 500}))
    with pytest.raises(NotFoundError) as caught:
        await client.users.me()
    assert caught.value.request_id is not None
    assert len(caught.value.request_id) <= 200
