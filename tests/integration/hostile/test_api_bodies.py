"""Hostile API answers: decompression bombs, bodies that break, JSON nested too deep, a false
gzip, and variants.

An API call reads a small JSON answer. Whatever comes instead (a bomb, a lie about its
encoding, a body that breaks or stalls, JSON nested 100,000 deep, bytes that are not UTF-8)
must end as a mapped ``GalateaError`` naming the problem, after a bounded number of requests,
with memory near the 64 MiB cap at worst.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

import httpx
import pytest

from galatea_async import webhooks
from galatea_async.errors import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
)
from tests.integration.hostile.bombs import deflate_bomb, gzip_bomb
from tests.integration.hostile.checks import API_KEY, assert_no_canary, peak_memory, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, me
from tests.integration.hostile.server import HostileServer, Reply, Request, Script, head

# The cap is 64 MiB of decoded JSON; decoding a 160 MiB bomb whole blows through this bound.
NEAR_THE_CAP = 96 << 20
JSON = {"Content-Type": "application/json"}


def raw(data: bytes, *, then: str = "cut") -> Script:
    """Send ``data`` as it is, then ``cut`` the connection, ``hang``, or ``close`` it."""

    async def script(request: Request, reply: Reply) -> None:
        await reply.raw(data)
        if then == "hang":
            await reply.hang()
        elif then == "close":
            reply.close()
        else:
            reply.cut()

    return script


# -- 10.2: an encoded API answer is decoded under the 64 MiB cap -----------------------------

BOMBS = [
    pytest.param("gzip", lambda: gzip_bomb(160), id="gzip"),
    pytest.param("gzip, gzip", lambda: gzip_bomb(160, layers=2), id="gzip-of-gzip"),
    pytest.param("deflate", lambda: deflate_bomb(160), id="deflate"),
]


@pytest.mark.parametrize(("encoding", "bomb"), BOMBS)
async def test_api_answer_bomb_is_capped_as_it_decodes(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture,
    encoding: str, bomb: Callable[[], bytes],
) -> None:  # fmt: skip
    server.on("GET", "users/me", answer(bomb(), headers={**JSON, "Content-Encoding": encoding}))
    client = connect()
    with peak_memory() as peak, pytest.raises(InvalidResponseError) as caught:
        await client.users.me()
    assert "larger than 64 MiB once decoded" in str(caught.value)
    assert server.count("GET", "users/me") == 1
    assert peak.bytes < NEAR_THE_CAP, f"{peak.mebibytes:.0f} MiB"
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_api_calls_ask_for_gzip_and_deflate_only(
    server: HostileServer, connect: Connect
) -> None:
    server.on("GET", "users/me", answer(me()))
    await connect().users.me()
    sent = server.seen("GET", "users/me")[0].headers["accept-encoding"]
    assert {token.strip() for token in sent.split(",")} == {"gzip", "deflate"}


@pytest.mark.parametrize("encoding", ["br", "zstd", "x-hostile"])
async def test_api_answer_in_another_encoding_names_it(
    server: HostileServer, connect: Connect, encoding: str
) -> None:
    body = hashlib.shake_256(b"not json").digest(300)
    server.on("GET", "users/me", answer(body, headers={**JSON, "Content-Encoding": encoding}))
    with pytest.raises(InvalidResponseError, match=encoding) as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1


async def test_api_answer_marked_identity_is_read(server: HostileServer, connect: Connect) -> None:
    body = json.dumps(me()).encode()
    server.on("GET", "users/me", answer(body, headers={**JSON, "Content-Encoding": "identity"}))
    assert (await connect().users.me()).org is not None


# -- 10.11: a body that claims gzip but is not ------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_api_answer_claiming_compression_it_lacks(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    body = json.dumps(me(echo=API_KEY)).encode()
    server.on("GET", "users/me", answer(body, headers={**JSON, "Content-Encoding": encoding}))
    with pytest.raises(InvalidResponseError, match=f"claims {encoding} but is not") as caught:
        await connect().users.me()
    assert server.count("GET", "users/me") == 1
    assert_no_canary(rendered(caught.value), caplog.text)


# -- 10.5: reading the body is part of the attempt ---------------------------------------------

# What arrives before the cut echoes the key: no error may quote it.
ECHO = b'{"echo": "' + API_KEY.encode() + b'", '
CUT_BODY = head(200, {**JSON, "Content-Length": "1000"}) + ECHO + b'"id": "11111111-1111-1111-'
CUT_CHUNK = head(200, {**JSON, "Transfer-Encoding": "chunked"}) + b"400\r\n" + ECHO + b'"id": "1111'


@pytest.mark.parametrize("data", [CUT_BODY, CUT_CHUNK], ids=["content-length", "chunked"])
async def test_cut_json_body_is_retried_then_mapped(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, data: bytes
) -> None:
    server.on("GET", "users/me", raw(data))
    with pytest.raises(APIConnectionError) as caught:
        await connect().users.me()
    assert "users/me" in str(caught.value)
    assert server.count("GET", "users/me") == 3  # the first try and max_retries=2
    assert_no_canary(rendered(caught.value), caplog.text)


@pytest.mark.parametrize(
    "data", [CUT_BODY, CUT_BODY[: CUT_BODY.index(b"{")]], ids=["mid-body", "no-body"]
)
async def test_stalled_json_body_is_retried_then_a_timeout(
    server: HostileServer, connect: Connect, data: bytes
) -> None:
    server.on("GET", "users/me", raw(data, then="hang"))
    with pytest.raises(APITimeoutError, match="users/me") as caught:
        await connect(timeout=httpx.Timeout(0.15)).users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 3


@pytest.mark.parametrize("then", ["cut", "hang"])
async def test_post_whose_answer_breaks_is_not_retried(
    server: HostileServer, connect: Connect, then: str
) -> None:
    server.on("POST", "exec/tags", raw(CUT_BODY, then=then))
    expected = APITimeoutError if then == "hang" else APIConnectionError
    with pytest.raises(expected, match="exec/tags") as caught:
        await connect(timeout=httpx.Timeout(0.15)).tags.create("a tag")
    assert_no_canary(rendered(caught.value))
    assert server.count("POST", "exec/tags") == 1


# -- 10.9: JSON nested too deeply ----------------------------------------------------------------

DEEP_LIST = b"[" * 100_000 + b'"' + API_KEY.encode() + b'"' + b"]" * 100_000
# Shallow enough for json.loads, deep enough to exhaust a recursive redactor.
DEEP_OBJECT = b'{"detail": ' + b'{"a": ' * 600 + b'"' + API_KEY.encode() + b'"' + b"}" * 600 + b"}"


async def test_deeply_nested_answer_is_an_invalid_response(
    server: HostileServer, connect: Connect
) -> None:
    server.on("GET", "users/me", answer(DEEP_LIST, headers=JSON))
    with pytest.raises(InvalidResponseError, match="nested too deeply") as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["100000-deep", "600-deep"])
async def test_deeply_nested_error_body_is_still_the_status_error(
    server: HostileServer, connect: Connect, body: bytes
) -> None:
    server.on("GET", "users/me", answer(body, status=400, headers=JSON))
    with pytest.raises(BadRequestError) as caught:
        await connect().users.me()
    assert caught.value.status_code == 400


def test_deeply_nested_webhook_is_a_value_error() -> None:
    secret, host = "whsec-hostile-0123", "api.galatea.bio"
    signature = base64.b64encode(
        hmac.new(secret.encode(), host.encode() + DEEP_LIST, hashlib.sha256).digest()
    ).decode()
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - the contract names only the class
        webhooks.parse_event(DEEP_LIST, signature, secret=secret, sender_host=host)
    assert_no_canary(rendered(caught.value))


# -- variants: bytes that are not what JSON is made of -------------------------------------------


async def test_invalid_utf8_answer_is_an_invalid_response(
    server: HostileServer, connect: Connect
) -> None:
    server.on(
        "GET",
        "users/me",
        answer(b'{"id": "\xff\xfe\xc3\x28", ' + ECHO[1:] + b'"n": 1}', headers=JSON),
    )
    with pytest.raises(InvalidResponseError, match="UTF-8") as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))


async def test_invalid_utf8_error_body_is_still_the_status_error(
    server: HostileServer, connect: Connect
) -> None:
    server.on(
        "GET",
        "users/me",
        answer(b'{"detail": "\xff\xfe ' + API_KEY.encode() + b'"}', status=400, headers=JSON),
    )
    with pytest.raises(BadRequestError, match="400") as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))


async def test_ten_thousand_digit_number_is_an_invalid_response(
    server: HostileServer, connect: Connect
) -> None:
    body = ECHO + b'"id": "11111111-1111-1111-1111-111111111111", "n": 1' + b"0" * 10_000 + b"}"
    server.on("GET", "users/me", answer(body, headers=JSON))
    with pytest.raises(InvalidResponseError, match="JSON") as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1


@pytest.mark.parametrize("status", [200, 502])
async def test_html_page_instead_of_json_is_named_and_not_quoted(
    server: HostileServer, connect: Connect, status: int
) -> None:
    page_html = (
        b"<!doctype html><html><body>Proxy login. Your token: "
        + API_KEY.encode()
        + b"</body></html>"
    )
    server.on("GET", "users/me", answer(page_html, status, {"Content-Type": "text/html"}))
    expected = InvalidResponseError if status == 200 else InternalServerError
    with pytest.raises(expected, match="HTML") as caught:
        await connect().users.me()
    assert type(caught.value) is expected
    assert server.count("GET", "users/me") == (1 if status == 200 else 3)
    assert_no_canary(rendered(caught.value))
