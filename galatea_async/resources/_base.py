"""What every resource namespace shares: the context its client hands it (the request path,
credentials, transfer options, connection limit), listings, and look-ups of one object
through a filtered listing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import attrs

from galatea_async._converter import structurer
from galatea_async._download import DownloadSource, TransferOptions
from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._requester import Requester
from galatea_async._page_rules import Lookup, judge_lookup, parse_page
from galatea_async._pagination import DEFAULT_PAGE_SIZE, DEFAULT_PAGES_AHEAD, paginate
from galatea_async._validation import check_date, check_id, check_limit, check_page_size
from galatea_async._walk_tasks import WalkTasks
from galatea_async.errors import InvalidResponseError, NotFoundError

__all__ = ["LOOKUP_PAGE_SIZE", "Resource", "ResourceContext", "bool_param"]

T = TypeVar("T")

# A look-up by id reads one page this size: a filter on an id matches one object (or the few
# orders of a file whose name is that id).
LOOKUP_PAGE_SIZE = 10


@attrs.frozen
class ResourceContext:
    """What a client (or a ``with_options`` view) gives its resources: never the client itself."""

    requester: Requester
    credentials: CredentialsAuth
    transfer_options: TransferOptions
    max_connections: int
    # The client's running listings, ended when it closes.
    walks: WalkTasks = attrs.field(factory=WalkTasks)
    downloads: DownloadSource = attrs.field(
        default=attrs.Factory(
            lambda self: DownloadSource(self.requester, self.transfer_options), takes_self=True
        )
    )


@attrs.frozen
class FilteredById(Generic[T]):
    """A listing that finds one object by filtering on its id (the API has no GET by id)."""

    template: str
    model: type[T]
    filter_name: str
    id_name: str
    what: str
    matches_filter: Callable[[str], Callable[[T], bool]]


class Resource:
    """A namespace of calls (``client.orders``, ``client.files``...)."""

    def __init__(self, context: ResourceContext, *, pages_ahead: int = DEFAULT_PAGES_AHEAD) -> None:
        self._context = context
        # How many pages of a listing may be fetched ahead of the caller.
        self._pages_ahead = pages_ahead

    @property
    def _requester(self) -> Requester:
        return self._context.requester

    @property
    def _downloads(self) -> DownloadSource:
        return self._context.downloads

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _path_of(self, template: str) -> str:
        """The URL path of an API template, as errors show it (``/api/v1/exec/orders``)."""
        return urlsplit(self._requester.url(template)).path

    def _listing(
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
        """Every item of a paginated listing, as ``model`` instances (the walk itself, not a
        generator around it: a listing of 10,000 orders passes each through one layer).

        ``limit`` and ``page_size`` are the caller's, checked here before anything is sent."""
        limit = check_limit(limit)
        page_size = check_page_size(page_size)

        async def fetch(page: int, size: int) -> Any:
            return await self._requester.request(
                "GET",
                template,
                path_params=path_params,
                params={**params, "page": page, "page_size": size},
            )

        return paginate(
            fetch,
            page_size=page_size or default_page_size,
            limit=limit,
            pages_ahead=self._pages_ahead,
            convert=structurer(model),
            tasks=self._context.walks,
        )

    async def _look_up(self, listing: FilteredById[T], given_id: str | uuid.UUID) -> T:
        """The object with id ``given_id``, from one page of the listing filtered on it.

        One request, whatever the server does: ``NotFoundError`` (with the method and path of
        the look-up) when the filtered page holds no such object, ``InvalidResponseError``
        when the page shows the server ignored the filter (reading on would walk the whole
        listing).
        """
        wanted = check_id(given_id, listing.id_name)
        template, filter_name, what = listing.template, listing.filter_name, listing.what
        data = await self._requester.request(
            "GET",
            template,
            params={filter_name: wanted, "page": 1, "page_size": LOOKUP_PAGE_SIZE},
        )
        page = parse_page(data, structurer(listing.model))
        verdict = judge_lookup(page, wanted, listing.matches_filter(wanted))
        if verdict is Lookup.FOUND:
            found: T = next(item for item in page.results if getattr(item, "id", None) == wanted)
            return found
        path = self._path_of(template)
        if verdict is Lookup.MISSING:
            raise NotFoundError(
                f"no {what} with id {wanted} (the listing filtered on that id is empty)",
                status_code=404,
                method="GET",
                path=path,
            )
        raise InvalidResponseError(
            f"looking up {what} {wanted}, the server answered {what}s that do not match "
            f"{filter_name}={wanted}: it ignored the filter, so finding the {what} would mean "
            "walking the whole listing. Check that base_url points at the Galatea API",
            method="GET",
            path=path,
        )


def date_range_params(
    min_date: str | dt.date | None, max_date: str | dt.date | None
) -> dict[str, str | None]:
    """A listing's ``min_date`` and ``max_date`` query parameters, each checked if given."""
    return {
        "min_date": check_date(min_date, "min_date") if min_date is not None else None,
        "max_date": check_date(max_date, "max_date") if max_date is not None else None,
    }


def bool_param(value: bool | None) -> str | None:
    """A boolean query parameter as the API spells it."""
    if value is None:
        return None
    return "true" if value else "false"
