"""What the emulator's store refuses, in its own terms; the app answers each with a status.

::

    StoreError
    ├── NotAuthenticated   credentials or a token that do not hold (401)
    ├── InvalidRequest     a value the world does not allow (400)
    └── NotFound           no such object (404)
"""

from __future__ import annotations

__all__ = ["InvalidRequest", "NotAuthenticated", "NotFound", "StoreError"]


class StoreError(Exception):
    """A refusal of the store; ``detail`` is what the API's answer says."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotAuthenticated(StoreError):
    """Credentials or a token that do not hold."""


class InvalidRequest(StoreError):
    """A value the emulated world does not allow (a missing file, a model not offered...)."""


class NotFound(StoreError):
    """No such object."""
