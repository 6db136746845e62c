"""What every resource namespace shares: a handle on its client's request path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from galatea_async._converter import structure
from galatea_async._pagination import DEFAULT_PAGE_SIZE, paginate
from galatea_async._requester import Requester

if TYPE_CHECKING:
    from galatea_async._client import AsyncGalatea

__all__ = ["Resource", "bool_param"]

T = TypeVar("T")


class Resource:
    """A namespace of calls (``client.orders``, ``client.files``...)."""

    def __init__(self, client: AsyncGalatea) -> None:
        self._client = client

    @property
    def _requester(self) -> Requester:
        return self._client._requester

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _listing(
        self,
        template: str,
        model: type[T],
        params: Mapping[str, Any],
        *,
        limit: int | None,
        page_size: int | None,
        path_params: Mapping[str, str] | None = None,
        default_page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[T]:
        """Every item of a paginated listing, as ``model`` instances."""

        async def fetch(page: int, size: int) -> Any:
            return await self._requester.request(
                "GET",
                template,
                path_params=path_params,
                params={**params, "page": page, "page_size": size},
            )

        def convert(item: dict[str, Any]) -> T:
            return structure(item, model)

        async for item in paginate(
            fetch, page_size=page_size or default_page_size, limit=limit, convert=convert
        ):
            yield item


def bool_param(value: bool | None) -> str | None:
    """A boolean query parameter as the API spells it."""
    if value is None:
        return None
    return "true" if value else "false"
