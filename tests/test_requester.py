"""The request path over real TCP on both transports: the direct aiohttp path of downloads, the
shared decisions (credentials, retries, redirects, decoding), and the body read inside the
attempt."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from galatea_async import AsyncGalatea, RetryPolicy
from galatea_async._http._transport_choice import default_transport
from galatea_async.errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    UnexpectedRedirectError,
)
from tests import payloads
from tests.raw_http import Request
from tests.request_support import Answer, ScriptedServer
from tests.transports import make_transport

API_KEY = "request-path-api-key-0123456789"
ORDER_ID = payloads.ORDER_ID
DOWNLOAD = f"/api/v1/data/results/{ORDER_ID}/download"
ME = "/api/v1/users/me"
NO_WAIT = RetryPolicy(max_retries=2, backoff_initial=0.0, backoff_max=0.0)
FILE = Answer(
    200,
    {"Content-Type": "text/plain", "Content-Disposition": 'attachment; filename="r.tsv"'},
    b"chromosome\tvalue\n" * 100,
)
USER = json.dumps(payloads.user()).encode()


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


@pytest.fixture
async def other_origin() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


def client_for(server: ScriptedServer, transport_kind: str, **options: Any) -> AsyncGalatea:
    options.setdefault("retry_policy", NO_WAIT)
    return AsyncGalatea(
        api_key=API_KEY,
        base_url=server.base_url,
        transport=make_transport(transport_kind),
        **options,
    )


# -- the direct aiohttp path ------------------------------------------------------------


async def test_downloads_on_the_default_transport_build_no_httpx_object(
    server: ScriptedServer, tmp_path: Path, httpx_objects: dict[str, int]
) -> None:
    server.on(DOWNLOAD, FILE)
    async with client_for(server, "aiohttp") as client:
        httpx_objects.clear()
        for index in range(5):
            path = await client.results.download(
                ORDER_ID, "SUMMARY_CHROMS", tmp_path / f"{index}.tsv"
            )
            assert path.read_bytes() == FILE.body
    assert httpx_objects == {}
    assert [seen.headers["authorization"] for seen in server.seen(DOWNLOAD)] == [
        f"Bearer {API_KEY}"
    ] * 5
    assert {seen.headers["accept-encoding"] for seen in server.seen(DOWNLOAD)} == {"identity"}
    assert {seen.headers["user-agent"] for seen in server.seen(DOWNLOAD)} == {
        f"galatea-async/{__import__('galatea_async').__version__}"
    }


async def test_a_users_http_client_takes_the_general_path(
    server: ScriptedServer, tmp_path: Path, httpx_objects: dict[str, int]
) -> None:
    server.on(DOWNLOAD, FILE)
    http = httpx.AsyncClient(transport=default_transport(max_connections=4))
    async with AsyncGalatea(api_key=API_KEY, base_url=server.base_url, http_client=http) as client:
        httpx_objects.clear()
        path = await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
        assert path.read_bytes() == FILE.body
    assert httpx_objects["send"] == 1
    assert server.seen(DOWNLOAD)[0].headers["authorization"] == f"Bearer {API_KEY}"
    await http.aclose()


async def test_a_download_renews_an_expired_token_once(
    server: ScriptedServer, transport_kind: str, tmp_path: Path
) -> None:
    tokens = iter(["access-token-1111", "access-token-2222"])
    server.on_call(
        "/api/v1/users/auth",
        lambda seen: Answer(200, body=json.dumps({"access": next(tokens)}).encode()),
    )

    def download(seen: Request) -> Answer:
        if seen.headers.get("authorization") != "Bearer access-token-2222":
            return Answer(401, body=b'{"detail": "Given token not valid for any token type"}')
        return FILE

    server.on_call(DOWNLOAD, download)
    async with AsyncGalatea(
        email="lab@example.com",
        password="correct horse battery",
        base_url=server.base_url,
        transport=make_transport(transport_kind),
    ) as client:
        path = await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert path.read_bytes() == FILE.body
    assert [seen.headers["authorization"] for seen in server.seen(DOWNLOAD)] == [
        "Bearer access-token-1111",
        "Bearer access-token-2222",
    ]
    assert len(server.seen("/api/v1/users/auth")) == 2  # no refresh token: a new login


async def test_a_server_hanging_up_gets_max_retries_and_no_more(
    server: ScriptedServer, transport_kind: str
) -> None:
    """aiohttp would resend an idempotent request itself after a disconnect: only the SDK's
    policy decides (1 + max_retries requests), on every path."""
    server.on(ME, Answer(hang_up=True))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(APIConnectionError):
            await client.users.me()
    assert len(server.seen(ME)) == 3


async def test_a_download_retries_a_503_on_both_paths(
    server: ScriptedServer, transport_kind: str, tmp_path: Path
) -> None:
    server.on(DOWNLOAD, Answer(503, body=b'{"detail": "busy"}'), FILE)
    async with client_for(server, transport_kind) as client:
        path = await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert path.read_bytes() == FILE.body
    assert len(server.seen(DOWNLOAD)) == 2


# -- redirects ------------------------------------------------------------------


async def test_a_redirect_loop_stops_after_five_hops(
    server: ScriptedServer, transport_kind: str, tmp_path: Path
) -> None:
    server.on(DOWNLOAD, Answer(302, {"Location": DOWNLOAD + "?again=1"}))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(UnexpectedRedirectError, match="redirected more than 5 times"):
            await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert len(server.seen(DOWNLOAD)) == 6
    assert list(tmp_path.iterdir()) == []


async def test_credentials_and_extra_headers_never_reach_another_origin(
    server: ScriptedServer, other_origin: ScriptedServer, transport_kind: str, tmp_path: Path
) -> None:
    elsewhere = other_origin.on(
        "/bucket/file", Answer(302, {"Location": server.base_url + "/back"})
    )
    server.on(DOWNLOAD, Answer(307, {"Location": elsewhere + "?signature=s3cr3t"}))
    server.on("/back", FILE)
    async with client_for(server, transport_kind) as client:
        view = client.with_options(headers={"X-Request-Id": "request-42"})
        path = await view.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert path.read_bytes() == FILE.body
    (away,) = other_origin.seen("/bucket/file")
    assert "authorization" not in away.headers
    assert "x-request-id" not in away.headers
    for seen in (*server.seen(DOWNLOAD), *server.seen("/back")):
        assert seen.headers["authorization"] == f"Bearer {API_KEY}"
        assert seen.headers["x-request-id"] == "request-42"


async def test_api_calls_never_follow_redirects(
    server: ScriptedServer, transport_kind: str
) -> None:
    server.on(ME, Answer(302, {"Location": "/elsewhere?token=abc"}))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(UnexpectedRedirectError, match="/elsewhere") as caught:
            await client.users.me()
    assert "token=abc" not in str(caught.value)
    assert len(server.requests) == 1


# -- reading a JSON body is part of the attempt -----------------------------------


async def test_a_cut_json_body_is_retried(server: ScriptedServer, transport_kind: str) -> None:
    server.on(ME, Answer(200, body=USER, cut_after=10), Answer(200, body=USER))
    async with client_for(server, transport_kind) as client:
        user = await client.users.me()
    assert user.email == payloads.user()["email"]
    assert len(server.seen(ME)) == 2


async def test_a_json_body_that_stalls_is_retried_then_a_timeout(
    server: ScriptedServer, transport_kind: str
) -> None:
    server.on(ME, Answer(200, body=USER, stall_after=10))
    async with client_for(server, transport_kind, timeout=httpx.Timeout(5.0, read=0.2)) as client:
        with pytest.raises(APITimeoutError):
            await client.users.me()
    assert len(server.seen(ME)) == 3  # the first attempt and max_retries=2


async def test_a_post_whose_answer_is_cut_is_not_retried(
    server: ScriptedServer, transport_kind: str
) -> None:
    tag = json.dumps(payloads.tag()).encode()
    server.on("/api/v1/exec/tags", Answer(201, body=tag, cut_after=5))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.tags.create("SANDBOX")
    assert type(caught.value) is APIConnectionError
    assert len(server.seen("/api/v1/exec/tags")) == 1


# -- compressed API answers ----------------------------------------------


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip stream of about ``decoded_size`` bytes of one JSON string: 1,000 times smaller."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"0" * (1 << 20)
    pieces = [compressor.compress(b'{"id": "')]
    pieces += [compressor.compress(zeros) for _ in range(decoded_size >> 20)]
    pieces.append(compressor.flush())
    return b"".join(pieces)


async def test_api_answers_are_asked_for_compressed_and_decoded(
    server: ScriptedServer, transport_kind: str
) -> None:
    server.on(ME, Answer(200, {"Content-Encoding": "gzip"}, gzip.compress(USER)))
    async with client_for(server, transport_kind) as client:
        user = await client.users.me()
    assert user.email == payloads.user()["email"]
    assert server.seen(ME)[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_compressed_answer_is_capped_as_it_is_decoded(
    server: ScriptedServer, transport_kind: str
) -> None:
    bomb = gzip_bomb(256 << 20)  # about 250 KB on the wire
    server.on(ME, Answer(200, {"Content-Encoding": "gzip"}, bomb))
    async with client_for(server, transport_kind) as client:
        tracemalloc.start()
        try:
            with pytest.raises(InvalidResponseError, match="larger than 64 MiB once decoded"):
                await client.users.me()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 100 << 20
    assert len(server.seen(ME)) == 1  # not retried


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("gzip", "claims gzip but is not"), ("deflate", "claims deflate but is not")],
)
async def test_an_answer_that_is_not_what_it_claims_is_a_clear_error(
    server: ScriptedServer, transport_kind: str, encoding: str, message: str
) -> None:
    server.on(ME, Answer(200, {"Content-Encoding": encoding}, USER))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(InvalidResponseError, match=message):
            await client.users.me()


async def test_an_encoding_we_did_not_ask_for_is_named(
    server: ScriptedServer, transport_kind: str
) -> None:
    server.on(ME, Answer(200, {"Content-Encoding": "br"}, b"\x0b\x02\x80"))
    async with client_for(server, transport_kind) as client:
        with pytest.raises(InvalidResponseError, match="'br'-encoded"):
            await client.users.me()
