"""Hostile answers around credentials: skewed clocks, httpx's and httpcore's logs, credentials
in base_url, and 401 loops.

Tokens that look expired to a skewed local clock, tokens dead on arrival, a server that
answers 401 to everything, a server that echoes the key back in its headers, and a base URL
carrying a password: renewals stay bounded and no credential reaches a message or a log line.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from galatea_async import AsyncGalatea
from galatea_async.errors import AuthenticationError
from tests.integration.hostile.checks import (
    ACCESS_TOKEN,
    API_KEY,
    EMAIL,
    PASSWORD,
    REFRESH_TOKEN,
    assert_no_canary,
    rendered,
)
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, jwt, me
from tests.integration.hostile.server import HostileServer, Reply, Request, Script
from tests.transports import make_transport

TOKEN_ROUTES = ("users/auth", "users/refresh")


def token_requests(server: HostileServer) -> int:
    return sum(server.count("POST", route) for route in TOKEN_ROUTES)


def issuing(claims: Any, headers: dict[str, str] | None = None) -> Script:
    """Token endpoints issuing a new JWT pair each time, with ``claims()`` for the access."""
    serial = itertools.count()

    async def script(request: Request, reply: Reply) -> None:
        n = next(serial)
        tokens = {"access": jwt(**claims(), n=n), "refresh": jwt(kind="refresh", n=n)}
        await reply.json(tokens, headers=headers)

    return script


def accepting_bearers() -> Script:
    async def script(request: Request, reply: Reply) -> None:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            await reply.json({"detail": "no token"}, status=401)
            return
        await reply.json(me())

    return script


async def twenty_at_once(client: AsyncGalatea) -> list[Any]:
    return await asyncio.gather(*(client.users.me() for _ in range(20)), return_exceptions=True)


# -- 10.13: a token the server just issued is fresh whatever the local clock says ----------------

HOUR = 3600.0


def skewed_with_iat() -> dict[str, float]:
    # The server's clock is two hours behind ours: by our clock the token expired an hour ago.
    server_now = time.time() - 2 * HOUR
    return {"iat": server_now, "exp": server_now + HOUR}


def skewed_without_iat() -> dict[str, float]:
    return {"exp": time.time() - 2 * HOUR + HOUR}


@pytest.mark.parametrize("how", ["iat", "date-header"])
async def test_token_issued_by_a_skewed_server_is_fresh(
    server: HostileServer, connect: Connect, how: str
) -> None:
    if how == "iat":
        script = issuing(skewed_with_iat)
    else:
        server_date = formatdate(time.time() - 2 * HOUR, usegmt=True)
        script = issuing(skewed_without_iat, headers={"Date": server_date})
    for route in TOKEN_ROUTES:
        server.on("POST", route, script)
    server.on("GET", "users/me", accepting_bearers())
    outcomes = await twenty_at_once(connect(email=EMAIL, password=PASSWORD))
    assert [type(o).__name__ for o in outcomes if isinstance(o, BaseException)] == []
    assert server.count("POST", "users/auth") == 1
    assert server.count("POST", "users/refresh") == 0
    assert server.count("GET", "users/me") == 20


async def test_token_dead_on_arrival_is_renewed_a_bounded_number_of_times(
    server: HostileServer, connect: Connect
) -> None:
    def dead() -> dict[str, float]:
        now = time.time()
        return {"iat": now, "exp": now}

    for route in TOKEN_ROUTES:
        server.on("POST", route, issuing(dead))
    server.on("GET", "users/me", accepting_bearers())
    outcomes = await twenty_at_once(connect(email=EMAIL, password=PASSWORD))
    assert [type(o).__name__ for o in outcomes if isinstance(o, BaseException)] == []
    assert token_requests(server) <= 3


# -- 401 loops: one renewal, then the error ------------------------------------------------------


async def test_api_key_refused_for_ever_is_one_request(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", "users/me", answer({"detail": f"bad key {API_KEY}"}, status=401))
    with pytest.raises(AuthenticationError) as caught:
        await connect().users.me()
    assert server.count("GET", "users/me") == 1
    assert token_requests(server) == 0
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_tokens_refused_for_ever_renew_once_per_call(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = {"access": ACCESS_TOKEN, "refresh": REFRESH_TOKEN}
    for route in TOKEN_ROUTES:
        server.on("POST", route, answer(tokens))
    server.on("GET", "users/me", answer({"detail": f"token {ACCESS_TOKEN} revoked"}, status=401))
    with pytest.raises(AuthenticationError) as caught:
        await connect(email=EMAIL, password=PASSWORD).users.me()
    assert server.count("GET", "users/me") == 2
    assert server.count("POST", "users/auth") == 1
    assert server.count("POST", "users/refresh") == 1
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_twenty_calls_refused_for_ever_share_the_renewals(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    # The test transports pool 20 connections, as many as there are calls: the renewal after
    # a 401 must not wait for a connection the 401s still hold (it did, on httpx's transport).
    for route in TOKEN_ROUTES:
        server.on("POST", route, issuing(lambda: {"iat": time.time(), "exp": time.time() + HOUR}))
    server.on("GET", "users/me", answer({"detail": "no"}, status=401))
    client = connect(email=EMAIL, password=PASSWORD, timeout=httpx.Timeout(0.3))
    outcomes = await twenty_at_once(client)
    assert {type(o) for o in outcomes} == {AuthenticationError}
    assert server.count("GET", "users/me") <= 40
    assert token_requests(server) <= 3
    assert_no_canary([text for o in outcomes for text in rendered(o)], caplog.text)


async def test_refresh_and_login_both_refused_end_in_one_error(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("POST", "users/auth", in_turns_of_tokens_then_refusal())
    server.on("POST", "users/refresh", answer({"detail": "refresh token expired"}, status=401))
    server.on("GET", "users/me", answer({"detail": "no"}, status=401))
    with pytest.raises(AuthenticationError) as caught:
        await connect(email=EMAIL, password=PASSWORD).users.me()
    assert server.count("POST", "users/auth") == 2
    assert server.count("POST", "users/refresh") == 1
    assert server.count("GET", "users/me") == 1
    assert_no_canary(rendered(caught.value), caplog.text)


def in_turns_of_tokens_then_refusal() -> Script:
    calls = itertools.count()

    async def script(request: Request, reply: Reply) -> None:
        if next(calls) == 0:
            await reply.json({"access": ACCESS_TOKEN, "refresh": REFRESH_TOKEN})
        else:
            await reply.json({"detail": f"wrong password {PASSWORD}"}, status=401)

    return script


# -- 10.14: what the server echoes never reaches a log line --------------------------------------


@pytest.mark.parametrize("mode", ["api-key", "tokens"])
async def test_credentials_echoed_in_headers_stay_out_of_the_debug_log(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    secret = API_KEY if mode == "api-key" else ACCESS_TOKEN
    echo = {
        "X-Echo-Authorization": f"Bearer {secret}",
        "X-Debug-Key": secret,
        "Set-Cookie": f"session={secret}; HttpOnly",
    }
    server.on("POST", "users/auth", answer({"access": ACCESS_TOKEN, "refresh": REFRESH_TOKEN}))
    server.on("GET", "users/me", answer(me(), headers=echo))
    client = connect() if mode == "api-key" else connect(email=EMAIL, password=PASSWORD)
    await client.users.me()
    assert server.count("GET", "users/me") == 1
    assert_no_canary(caplog.text)


# -- 10.15: credentials in base_url are refused before any request -------------------------------


@pytest.mark.parametrize(
    "userinfo", [f"someone:{PASSWORD}", f":{PASSWORD}", "someone", "some%40one:" + PASSWORD]
)
async def test_base_url_with_credentials_is_refused(
    server: HostileServer, transport_kind: str, userinfo: str
) -> None:
    base_url = server.base_url.replace("http://", f"http://{userinfo}@")
    with pytest.raises(ValueError, match="base_url must not carry a user name or password") as caught:  # fmt: skip
        AsyncGalatea(api_key=API_KEY, base_url=base_url, transport=make_transport(transport_kind))
    assert "api_key=" in str(caught.value)
    assert_no_canary(rendered(caught.value))
    assert server.requests == []
