"""Status codes map to the documented exceptions; unusable responses are clear errors."""

from __future__ import annotations

import httpx
import pytest
import respx

from galatea_async import AsyncGalatea
from galatea_async._http._responses import strip_trailing_commas
from galatea_async.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UnexpectedRedirectError,
    UnprocessableEntityError,
)
from tests import payloads


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, MethodNotAllowedError),
        (406, NotAcceptableError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, ServiceUnavailableError),
        (418, APIError),
    ],
)
async def test_each_status_maps_to_its_exception(
    client: AsyncGalatea, router: respx.Router, status: int, error: type[APIError]
) -> None:
    router.get("/exec/tags/" + payloads.TAG_ID).respond(
        status, json={"detail": "the server's own words"}
    )
    with pytest.raises(error) as caught:
        await client.with_options(max_retries=0).tags.get(payloads.TAG_ID)
    exc = caught.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.method == "GET" and exc.path == f"/api/v1/exec/tags/{payloads.TAG_ID}"
    assert "the server's own words" in str(exc)
    assert exc.body == {"detail": "the server's own words"}


async def test_html_instead_of_json_is_a_clear_error(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/users/me").respond(
        200,
        text="<html><body>Sign in to the proxy</body></html>",
        headers={"Content-Type": "text/html"},
    )
    with pytest.raises(InvalidResponseError, match="HTML page") as caught:
        await client.users.me()
    assert caught.value.status_code == 200


async def test_truncated_json_is_a_clear_error(client: AsyncGalatea, router: respx.Router) -> None:
    router.get("/users/me").respond(
        200, content=b'{"id": "11111111-1111', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(InvalidResponseError, match="does not parse"):
        await client.users.me()


async def test_trailing_commas_are_accepted(client: AsyncGalatea, router: respx.Router) -> None:
    router.get("/exec/tags/" + payloads.TAG_ID).respond(
        200, content=b'{"id": "%s", "name": "a,]",}' % payloads.TAG_ID.encode()
    )
    tag = await client.tags.get(payloads.TAG_ID)
    assert tag.name == "a,]"


def test_strip_trailing_commas_leaves_strings_alone() -> None:
    assert strip_trailing_commas('{"a": [1, 2,], "b": ",}",}') == '{"a": [1, 2], "b": ",}"}'


async def test_redirect_is_an_error_for_api_calls(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/users/me").respond(
        302, headers={"Location": "https://login.proxy.example/sso?token=abc"}
    )
    with pytest.raises(UnexpectedRedirectError, match=r"login\.proxy\.example/sso") as caught:
        await client.users.me()
    assert "token=abc" not in str(caught.value)


async def test_connect_error_is_wrapped(router: respx.Router) -> None:
    router.get("/users/me").mock(side_effect=httpx.ConnectError("connection refused"))
    async with AsyncGalatea(
        api_key="k" * 20,
        base_url="https://api.galatea.test",
        max_retries=0,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        with pytest.raises(APIConnectionError, match="could not be reached"):
            await client.users.me()


async def test_read_timeout_is_wrapped(router: respx.Router) -> None:
    router.get("/users/me").mock(side_effect=httpx.ReadTimeout("timed out"))
    async with AsyncGalatea(
        api_key="k" * 20,
        base_url="https://api.galatea.test",
        max_retries=0,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        with pytest.raises(APITimeoutError):
            await client.users.me()
