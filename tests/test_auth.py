"""Email/password sessions: one login and one refresh however many tasks race."""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
import respx

from galatea_async import AsyncGalatea, Tokens
from galatea_async._http._auth import token_lifetime
from galatea_async.errors import AuthenticationError
from tests import payloads
from tests.conftest import BASE_URL

EMAIL = "lab@example.com"
PASSWORD = "correct horse battery staple"


class FakeAuthServer:
    """Issues numbered tokens; an access token is valid until ``expire()`` is called."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.logins = 0
        self.refreshes = 0
        self.refresh_gate: anyio.Event | None = None
        self.refresh_entered = anyio.Event()

    def issue(self) -> dict[str, str]:
        n = next(self.counter)
        access, refresh = f"access-token-{n:04d}", f"refresh-token-{n:04d}"
        self.valid_access.add(access)
        self.valid_refresh.add(refresh)
        return {"access": access, "refresh": refresh, "websocket_access": f"ws-token-{n:04d}"}

    def expire(self) -> None:
        self.valid_access.clear()

    async def auth(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body != {"email": EMAIL, "password": PASSWORD}:
            return httpx.Response(
                401, json={"detail": "No active account found with the given credentials"}
            )
        self.logins += 1
        return httpx.Response(200, json=self.issue())

    async def refresh(self, request: httpx.Request) -> httpx.Response:
        self.refresh_entered.set()
        if self.refresh_gate is not None:
            await self.refresh_gate.wait()
        body = json.loads(request.content)
        if body.get("refresh") not in self.valid_refresh:
            return httpx.Response(401, json={"detail": "Token is invalid or expired"})
        self.valid_refresh.discard(body["refresh"])
        self.refreshes += 1
        return httpx.Response(200, json=self.issue())

    async def me(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_access:
            return httpx.Response(401, json={"detail": "Given token not valid for any token type"})
        return httpx.Response(200, json=payloads.user())


@pytest.fixture
def server() -> FakeAuthServer:
    return FakeAuthServer()


@pytest.fixture
async def session(router: respx.Router, server: FakeAuthServer) -> AsyncIterator[AsyncGalatea]:
    router.post("/users/auth").mock(side_effect=server.auth)
    router.post("/users/refresh").mock(side_effect=server.refresh)
    router.post("/users/logout").respond(200)
    router.get("/users/me").mock(side_effect=server.me)
    async with AsyncGalatea(
        email=EMAIL,
        password=PASSWORD,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        yield client


async def test_first_use_logs_in_once_for_many_concurrent_tasks(
    session: AsyncGalatea, server: FakeAuthServer
) -> None:
    async with anyio.create_task_group() as group:
        for _ in range(25):
            group.start_soon(session.users.me)
    assert server.logins == 1
    assert server.refreshes == 0


async def test_expired_token_is_refreshed_once_for_many_concurrent_tasks(
    session: AsyncGalatea, server: FakeAuthServer
) -> None:
    await session.users.me()
    server.expire()
    async with anyio.create_task_group() as group:
        for _ in range(25):
            group.start_soon(session.users.me)
    assert server.logins == 1
    assert server.refreshes == 1


async def test_dead_refresh_token_falls_back_to_a_new_login(
    session: AsyncGalatea, server: FakeAuthServer
) -> None:
    await session.users.me()
    server.expire()
    server.valid_refresh.clear()
    await session.users.me()
    assert server.logins == 2


async def test_second_401_after_fresh_token_is_an_error_not_a_loop(
    router: respx.Router, server: FakeAuthServer, session: AsyncGalatea
) -> None:
    route = router.get("/users/me").respond(
        401, json={"detail": "Given token not valid for any token type"}
    )
    with pytest.raises(AuthenticationError) as caught:
        await session.users.me()
    assert route.call_count == 2  # the original and exactly one replay
    assert caught.value.status_code == 401


async def test_cancelled_refresher_does_not_strand_the_others(
    session: AsyncGalatea, server: FakeAuthServer
) -> None:
    await session.users.me()
    server.expire()
    server.refresh_gate = anyio.Event()
    scope = anyio.CancelScope()

    async def doomed() -> None:
        with scope:
            await session.users.me()

    async with anyio.create_task_group() as group:
        group.start_soon(doomed)
        # This task holds the refresh lock, inside the refresh request, when it is cancelled.
        await server.refresh_entered.wait()
        scope.cancel()
    assert server.refreshes == 0
    server.refresh_gate = None
    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(session.users.me)
    assert server.refreshes == 1


async def test_wrong_password_is_an_authentication_error_without_the_password(
    router: respx.Router, server: FakeAuthServer
) -> None:
    router.post("/users/auth").mock(side_effect=server.auth)
    async with AsyncGalatea(
        email=EMAIL,
        password="wrong password 123",
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.users.me()
    assert "wrong password 123" not in str(caught.value) and "wrong password 123" not in repr(
        caught.value
    )


async def test_auth_login_switches_an_api_key_client_to_tokens(
    client: AsyncGalatea, router: respx.Router, server: FakeAuthServer
) -> None:
    router.post("/users/auth").mock(side_effect=server.auth)
    router.get("/users/me").mock(side_effect=server.me)
    tokens = await client.auth.login(EMAIL, PASSWORD)
    assert isinstance(tokens, Tokens) and tokens.access == "access-token-0001"
    assert "access-token" not in repr(tokens)
    await client.users.me()
    assert "tokens" in repr(client)


async def test_auth_refresh_and_logout(
    session: AsyncGalatea, server: FakeAuthServer, router: respx.Router
) -> None:
    await session.users.me()
    tokens = await session.auth.refresh()
    assert tokens.access == "access-token-0002" and server.refreshes == 1
    await session.auth.logout()
    logout = router.routes[2]
    assert json.loads(logout.calls.last.request.content) == {"refresh": "refresh-token-0002"}
    await session.users.me()  # logs in again with the stored credentials
    assert server.logins == 2


async def test_api_key_client_cannot_refresh(client: AsyncGalatea) -> None:
    with pytest.raises(AuthenticationError, match="API key"):
        await client.auth.refresh()


async def test_credentials_never_sent_to_another_origin(router: respx.Router) -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.galatea.test":
            return httpx.Response(302, headers={"Location": "https://evil.example/steal"})
        return httpx.Response(200, content=b"ok", headers={"Content-Length": "2"})

    async with (
        AsyncGalatea(
            api_key="secret-api-key-xyz", base_url=BASE_URL, transport=httpx.MockTransport(handler)
        ) as client,
        client._requester.stream("GET", "data/results/x/download") as response,
    ):
        assert b"".join([piece async for piece in response.iter_raw()]) == b"ok"
    assert [r.url.host for r in seen] == ["api.galatea.test", "evil.example"]
    assert "authorization" not in seen[1].headers


def jwt(claims: dict[str, int]) -> str:
    """An unsigned JWT with these claims (the client reads, never verifies, them)."""

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.signature"


class SkewedTokenServer:
    """Issues JWTs on a server clock an hour behind ours, valid for 300 s from issue."""

    def __init__(self, *, with_iat: bool) -> None:
        self.with_iat = with_iat
        self.logins = self.refreshes = 0
        self.issued = 0

    def issue(self) -> httpx.Response:
        self.issued += 1
        server_now = int(time.time()) - 3600
        claims = {"exp": server_now + 300, "n": self.issued}
        if self.with_iat:
            claims["iat"] = server_now
        tokens = {"access": jwt(claims), "refresh": f"refresh-token-{self.issued:04d}"}
        date = email.utils.formatdate(server_now, usegmt=True)
        return httpx.Response(200, json=tokens, headers={"Date": date})

    async def auth(self, request: httpx.Request) -> httpx.Response:
        self.logins += 1
        return self.issue()

    async def refresh(self, request: httpx.Request) -> httpx.Response:
        self.refreshes += 1
        return self.issue()


@pytest.mark.parametrize("with_iat", [True, False], ids=["iat", "server-date"])
async def test_a_skewed_clock_costs_no_extra_refresh(router: respx.Router, with_iat: bool) -> None:
    """Tokens that look expired to our clock are fresh: judged by their lifetime (exp - iat,
    or exp against the server's Date) from the moment they arrived."""
    server = SkewedTokenServer(with_iat=with_iat)
    router.post("/users/auth").mock(side_effect=server.auth)
    router.post("/users/refresh").mock(side_effect=server.refresh)
    me = router.get("/users/me").respond(json=payloads.user())
    async with AsyncGalatea(
        email=EMAIL,
        password=PASSWORD,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(client.users.me)
        assert (server.logins, server.refreshes) == (1, 0)
        assert me.call_count == 20
        # Once the lifetime has run out on the monotonic clock: one refresh for 20 calls.
        credentials = client._credentials
        arrived = time.monotonic()
        credentials._monotonic = lambda: arrived + 300
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(client.users.me)
        assert (server.logins, server.refreshes) == (1, 1)


def test_token_lifetime_comes_from_the_server_not_the_local_clock() -> None:
    assert token_lifetime(jwt({"iat": 1000, "exp": 1300}), server_date=None) == 300
    date = email.utils.formatdate(5000, usegmt=True)
    assert token_lifetime(jwt({"exp": 5120}), server_date=date) == 120
    assert token_lifetime(jwt({"exp": 5120}), server_date=None, now=lambda: 5000.0) == 120
    assert token_lifetime("opaque-token", server_date=date) is None
    assert token_lifetime(jwt({"iat": 1300, "exp": 1000}), server_date=None) is None
    assert token_lifetime(jwt({"exp": 5120}), server_date="not a date", now=lambda: 6000.0) is None
