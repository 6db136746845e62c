"""``client.auth``: log in, refresh and log out of token sessions."""

from __future__ import annotations

from galatea_async._models import Tokens
from galatea_async._validation import check_text
from galatea_async.resources._base import Resource

__all__ = ["AuthResource"]


class AuthResource(Resource):
    """Token sessions (email and password). API keys need none of this."""

    async def login(self, email: str, password: str) -> Tokens:
        """Log in now; the client uses the tokens (and re-logs in with these) from then on."""
        check_text(email, "email")
        check_text(password, "password")
        return await self._context.credentials.login(email, password)

    async def refresh(self) -> Tokens:
        """Renew the access and refresh tokens now."""
        return await self._context.credentials.refresh()

    async def logout(self) -> None:
        """Revoke the refresh token; a later call logs in again if email and password are known."""
        await self._context.credentials.logout()
