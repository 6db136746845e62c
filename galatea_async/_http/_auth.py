"""Credentials: an API key, or email and password with tokens renewed once per expiry.

``CredentialsAuth`` holds them and answers two questions for the request path
(``_requester.py``), which asks them for every request on every path (httpx or the direct
aiohttp path): which token goes in ``Authorization`` (``access_token()``), and, after a 401,
whether a renewed token may be tried once (``can_renew`` then ``renew``). Whether credentials
go at all (only to the API's own origin) is the request path's decision (``_redirects.py``).

With email and password, the client's one ``CredentialsAuth`` logs in lazily, refreshes when the
access token expires or a request gets 401, and logs in again when the refresh token is dead.
However many tasks race, there is one login and one refresh: an anyio lock is held only while
tokens are being renewed (never around ordinary requests), and a renewer that is cancelled
releases it with the state unchanged, so the next waiter renews instead.

When a token expires is judged from its lifetime as the server states it (``exp - iat``, or
``exp`` against the server's ``Date`` header), counted on the local monotonic clock from the
moment the token arrived: a skewed local clock can neither make a fresh token look expired nor
an old one look fresh.
"""

from __future__ import annotations

import base64
import email.utils
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from galatea_async._converter import structure
from galatea_async._http._redact import register_secret, unregister_secret
from galatea_async._models import Tokens
from galatea_async.errors import APIError, AuthenticationError, BadRequestError

__all__ = ["CredentialsAuth", "TokenSender", "token_lifetime"]

# Sends a token request (``users/auth`` etc.) without credentials of its own; returns the
# decoded JSON and the response's ``Date`` header (or ``None``).
TokenSender = Callable[[str, dict[str, Any], "str | None"], Awaitable["tuple[Any, str | None]"]]

# Renew this long before a token's end (at most a tenth of its lifetime), so a request never
# leaves with a token about to die.
_EXPIRY_MARGIN_SECONDS = 30.0


def _jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, read without verifying it; ``None`` for opaque tokens."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 8192:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value[:64]).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def token_lifetime(
    token: str, *, server_date: str | None, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds ``token`` stays valid from the moment it was issued; ``None`` if unknown.

    From the token's own claims (``exp - iat``) when it has both; else ``exp`` against the
    server's ``Date`` header; else (no ``Date``) ``exp`` against the local clock ``now``. An
    opaque token, or a lifetime that is not positive, gives ``None``: the token is then renewed
    only when the server answers 401.
    """
    claims = _jwt_claims(token)
    if claims is None:
        return None
    expires = _number(claims.get("exp"))
    if expires is None:
        return None
    issued = _number(claims.get("iat"))
    if issued is None:
        issued = _http_date(server_date)
    if issued is None:
        issued = now()
    lifetime = expires - issued
    return lifetime if lifetime > 0 else None


class CredentialsAuth:
    """An API key, or email and password with short-lived tokens renewed once per expiry.

    ``login()`` switches an API-key client to tokens; after that the tokens are used.
    ``monotonic`` is the clock a token's age is measured on; ``wall_clock`` is used only for a
    token with neither ``iat`` nor a server ``Date`` to compare its ``exp`` with.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        email: str | None,
        password: str | None,
        sender: TokenSender,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._email = email
        self._password = password
        self._send = sender
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._tokens: Tokens | None = None
        # On the monotonic clock: when the current token should be renewed; None: never early.
        self._renew_at: float | None = None
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

    def _install(self, tokens: Tokens, server_date: str | None, received_at: float) -> Tokens:
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
        lifetime = token_lifetime(tokens.access, server_date=server_date, now=self._wall_clock)
        self._renew_at = (
            None
            if lifetime is None
            else received_at + lifetime - min(_EXPIRY_MARGIN_SECONDS, lifetime / 10)
        )
        return tokens

    def _is_expiring(self) -> bool:
        return self._renew_at is not None and self._monotonic() >= self._renew_at

    # -- the three token operations; each runs under the lock --------------------------------

    async def _token_request(
        self, path: str, payload: dict[str, Any], bearer: str | None
    ) -> Tokens:
        data, server_date = await self._send(path, payload, bearer)
        tokens = _tokens_from(data, path)
        return self._install(tokens, server_date, self._monotonic())

    async def _login_locked(self) -> Tokens:
        if not self._email or not self._password:
            raise AuthenticationError(
                "the session has no valid token and no email/password to log in again; "
                "call `await client.auth.login(email, password)` or use an API key"
            )
        payload = {"email": self._email, "password": self._password}
        return await self._token_request("users/auth", payload, None)

    async def _refresh_locked(self) -> Tokens:
        assert self._tokens is not None
        if not self._tokens.refresh:
            return await self._login_locked()
        payload = {"refresh": self._tokens.refresh, "access": self._tokens.access}
        try:
            tokens = await self._token_request("users/refresh", payload, self._tokens.access)
        except (AuthenticationError, BadRequestError):
            # The refresh token is dead (expired, rotated, revoked): log in afresh.
            return await self._login_locked()
        return tokens

    # -- what the request path and the auth resource call ------------------------------------

    async def access_token(self) -> str:
        """A usable access token (or the API key): logs in first if there is none, renews it
        if expiring."""
        tokens = self._tokens
        if tokens is None and self._api_key is not None:
            return self._api_key
        if tokens is not None and not self._is_expiring():
            return tokens.access
        return await self.renew(stale=tokens.access if tokens else None)

    def can_renew(self, token: str) -> bool:
        """Whether a 401 to a request that carried ``token`` is worth one renewed attempt.

        An API key is what it is: a 401 to it is final.
        """
        return token != self._api_key

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
            tokens, self._tokens, self._renew_at = self._tokens, None, None
        if tokens is not None and tokens.refresh:
            await self._send("users/logout", {"refresh": tokens.refresh}, tokens.access)


def _tokens_from(data: Any, endpoint: str) -> Tokens:
    if not isinstance(data, dict) or not isinstance(data.get("access"), str):
        raise APIError(f"{endpoint} answered without an access token", body=None)
    return structure(data, Tokens)
