"""The emulator's users, API keys, and the access and refresh tokens it issues."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from galatea_async.emulator._clock import Clock
from galatea_async.emulator._records import UserRecord
from galatea_async.emulator._store_errors import NotAuthenticated

__all__ = ["Accounts"]

_REFRESH_TTL = 24 * 3600.0


class Accounts:
    """Who may call the API: users, their API keys and their tokens (expiring by the clock)."""

    def __init__(self, clock: Clock, *, access_token_ttl: float, new_id: Callable[[], str]) -> None:
        self.clock = clock
        self.access_token_ttl = access_token_ttl
        self._new_id = new_id
        self.users: dict[str, UserRecord] = {}
        self.api_keys: dict[str, str] = {}  # key -> user id
        self.access_tokens: dict[str, tuple[str, datetime]] = {}  # token -> (user id, expiry)
        self.refresh_tokens: dict[str, tuple[str, datetime]] = {}

    def add_user(
        self, email: str, password: str, first: str = "Demo", last: str = "User"
    ) -> UserRecord:
        """A new user who can log in with ``email`` and ``password``."""
        user = UserRecord(self._new_id(), email, password, first, last, self.clock.now())
        self.users[user.id] = user
        return user

    def add_api_key(self, user_id: str, key: str | None = None) -> str:
        """An API key for the user (``key``, or a fresh one)."""
        key = key or "gk_" + secrets.token_urlsafe(24)
        self.api_keys[key] = user_id
        return key

    def login(self, email: str, password: str) -> dict[str, str]:
        """Fresh tokens for the user with these credentials; ``NotAuthenticated`` otherwise."""
        for user in self.users.values():
            if user.email.casefold() == email.casefold() and secrets.compare_digest(
                user.password, password
            ):
                return {**self._issue(user.id), "websocket_access": secrets.token_urlsafe(24)}
        raise NotAuthenticated("No active account found with the given credentials")

    def _issue(self, user_id: str) -> dict[str, str]:
        now = self.clock.now()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = (user_id, now + timedelta(seconds=self.access_token_ttl))
        self.refresh_tokens[refresh] = (user_id, now + timedelta(seconds=_REFRESH_TTL))
        return {"refresh": refresh, "access": access}

    def refresh(self, refresh_token: str) -> dict[str, str]:
        """New tokens for a live refresh token, which is used up."""
        entry = self.refresh_tokens.pop(refresh_token, None)
        if entry is None or entry[1] <= self.clock.now():
            raise NotAuthenticated("Token is invalid or expired")
        return self._issue(entry[0])

    def logout(self, refresh_token: str) -> None:
        """Forget a refresh token."""
        if self.refresh_tokens.pop(refresh_token, None) is None:
            raise NotAuthenticated("Token is invalid or expired")

    def user_for_token(self, token: str) -> UserRecord | None:
        """The user an API key or a live access token belongs to."""
        user_id = self.api_keys.get(token)
        if user_id is None:
            entry = self.access_tokens.get(token)
            if entry is None or entry[1] <= self.clock.now():
                return None
            user_id = entry[0]
        return self.users.get(user_id)

    def expire_tokens(self, *, refresh: bool = False) -> None:
        """Expire every access token now (and drop every refresh token with ``refresh``)."""
        now = self.clock.now()
        self.access_tokens = {t: (u, now) for t, (u, _) in self.access_tokens.items()}
        if refresh:
            self.refresh_tokens.clear()
