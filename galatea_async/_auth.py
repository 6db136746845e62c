"""Credentials as one ``httpx.Auth`` flow: an API key, or email and password with tokens.

The flows add ``Authorization`` only to requests for the API's own origin, so a credential
never reaches another host, whatever a redirect or a ``next`` link says.

With email and password, the client's one ``CredentialsAuth`` logs in lazily, refreshes when the
access token expires or a request gets 401, and logs in again when the refresh token is dead.
However many tasks race, there is one login and one refresh: an anyio lock is held only while
tokens are being renewed (never around ordinary requests), and a renewer that is cancelled
releases it with the state unchanged, so the next waiter renews instead.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from galatea_async._converter import structure
from galatea_async._models import Tokens
from galatea_async._redact import register_secret, unregister_secret
from galatea_async.errors import APIError, AuthenticationError, BadRequestError

__all__ = ["CredentialsAuth", "TokenSender", "same_origin"]

# Sends a token request (``users/auth`` etc.) without any auth flow; returns decoded JSON.
TokenSender = Callable[[str, dict[str, Any], "str | None"], Awaitable[Any]]

# Renew this long before a JWT's ``exp``, so a request never leaves with a token about to die.
_EXPIRY_MARGIN_SECONDS = 30.0


def same_origin(url: httpx.URL, origin: tuple[str, str, int | None]) -> bool:
    """Whether ``url`` has the API's scheme, host and port."""
    return (url.scheme, url.host, url.port) == origin


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verifying it; ``None`` for opaque tokens."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        exp = claims.get("exp") if isinstance(claims, dict) else None
        return float(exp) if isinstance(exp, (int, float)) else None
    except (ValueError, TypeError):
        return None


class CredentialsAuth(httpx.Auth):
    """An API key, or email and password with short-lived tokens renewed once per expiry.

    ``login()`` switches an API-key client to tokens; after that the tokens are used.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        email: str | None,
        password: str | None,
        origin: tuple[str, str, int | None],
        sender: TokenSender,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._email = email
        self._password = password
        self._origin = origin
        self._send = sender
        self._clock = clock
        self._tokens: Tokens | None = None
        self._expires_at: float | None = None
        self._lock = anyio.Lock()
        self._registered: list[str] = []
        self._remember(password)
        self._remember(api_key)

    def __repr__(self) -> str:
        mode = "tokens" if self.uses_tokens else "api_key"
        return f"CredentialsAuth(mode={mode!r}, secrets=[REDACTED])"

    @property
    def uses_tokens(self) -> bool:
        """Whether requests carry access tokens (email/password) rather than an API key."""
        return self._tokens is not None or self._api_key is None

    @property
    def tokens(self) -> Tokens | None:
        """The tokens in use, if any."""
        return self._tokens

    def remember_secret(self, secret: str | None) -> None:
        """Redact ``secret`` everywhere until the client closes."""
        self._remember(secret)

    def _remember(self, secret: str | None) -> None:
        if secret and secret not in self._registered:
            register_secret(secret)
            self._registered.append(secret)

    def forget_secrets(self) -> None:
        """Stop redacting this client's secrets (called when the client closes)."""
        for secret in self._registered:
            unregister_secret(secret)
        self._registered.clear()

    def _install(self, tokens: Tokens) -> Tokens:
        if tokens.refresh is None and self._tokens is not None:
            # users/refresh may answer without a new refresh token: keep the one we have.
            tokens = Tokens(
                access=tokens.access,
                refresh=self._tokens.refresh,
                websocket_access=tokens.websocket_access or self._tokens.websocket_access,
                extra=tokens.extra,
            )
        for secret in (tokens.access, tokens.refresh, tokens.websocket_access):
            self._remember(secret)
        self._tokens = tokens
        self._expires_at = _jwt_expiry(tokens.access)
        return tokens

    def _is_expiring(self) -> bool:
        return self._expires_at is not None and self._clock() >= (
            self._expires_at - _EXPIRY_MARGIN_SECONDS
        )

    # -- the three token operations; each runs under the lock --------------------------------

    async def _login_locked(self) -> Tokens:
        if not self._email or not self._password:
            raise AuthenticationError(
                "the session has no valid token and no email/password to log in again; "
                "call `await client.auth.login(email, password)` or use an API key"
            )
        data = await self._send(
            "users/auth", {"email": self._email, "password": self._password}, None
        )
        return self._install(_tokens_from(data, "users/auth"))

    async def _refresh_locked(self) -> Tokens:
        assert self._tokens is not None
        if not self._tokens.refresh:
            return await self._login_locked()
        payload = {"refresh": self._tokens.refresh, "access": self._tokens.access}
        try:
            data = await self._send("users/refresh", payload, self._tokens.access)
        except (AuthenticationError, BadRequestError):
            # The refresh token is dead (expired, rotated, revoked): log in afresh.
            return await self._login_locked()
        return self._install(_tokens_from(data, "users/refresh"))

    # -- what the flow and the auth resource call --------------------------------------------

    async def access_token(self) -> str:
        """A usable access token: logs in first if there is none, renews it if expiring."""
        if not self.uses_tokens:
            assert self._api_key is not None
            return self._api_key
        tokens = self._tokens
        if tokens is not None and not self._is_expiring():
            return tokens.access
        return await self.renew(stale=tokens.access if tokens else None)

    async def renew(self, *, stale: str | None) -> str:
        """A token other than ``stale``: one task renews, the others wait and reuse its result."""
        async with self._lock:
            current = self._tokens
            if current is not None and current.access != stale and not self._is_expiring():
                return current.access
            if current is None:
                tokens = await self._login_locked()
            else:
                tokens = await self._refresh_locked()
            return tokens.access

    async def login(self, email: str, password: str) -> Tokens:
        """Log in with these credentials now, and use them for later re-logins."""
        async with self._lock:
            self._email, self._password = email, password
            self._remember(password)
            return await self._login_locked()

    async def refresh(self) -> Tokens:
        """Renew the tokens now (logging in if there are none)."""
        if not self.uses_tokens:
            raise AuthenticationError(
                "an API key does not expire and has no tokens to refresh; "
                "use `await client.auth.login(email, password)` for token sessions"
            )
        async with self._lock:
            if self._tokens is None:
                return await self._login_locked()
            return await self._refresh_locked()

    async def logout(self) -> None:
        """Revoke the refresh token and forget the tokens; a later call logs in again."""
        async with self._lock:
            tokens, self._tokens, self._expires_at = self._tokens, None, None
        if tokens is not None and tokens.refresh:
            await self._send("users/logout", {"refresh": tokens.refresh}, tokens.access)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not same_origin(request.url, self._origin):
            yield request
            return
        token = await self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or token == self._api_key:
            return
        # Replay once with a renewed token; a second 401 goes back to the caller as an error.
        # (httpx reads and closes the 401 response itself before sending the replay.)
        token = await self.renew(stale=token)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def _tokens_from(data: Any, endpoint: str) -> Tokens:
    if not isinstance(data, dict) or not isinstance(data.get("access"), str):
        raise APIError(f"{endpoint} answered without an access token", body=None)
    return structure(data, Tokens)
