"""What every resource namespace shares: a handle on its client's request path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from galatea_async._requester import Requester

if TYPE_CHECKING:
    from galatea_async._client import AsyncGalatea

__all__ = ["Resource", "bool_param"]


class Resource:
    """A namespace of calls (``client.orders``, ``client.files``...)."""

    def __init__(self, client: AsyncGalatea) -> None:
        self._client = client

    @property
    def _requester(self) -> Requester:
        return self._client._requester

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def bool_param(value: bool | None) -> str | None:
    """A boolean query parameter as the API spells it."""
    if value is None:
        return None
    return "true" if value else "false"
