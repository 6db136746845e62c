"""The pure rules of a listing walk: what a page says, what to fetch next, when to stop.

No I/O here (hishel style): ``_pagination.paginate`` asks these functions and does the
requests. Pages are ``{count, next, previous, results}`` objects requested by number.

- ``judge_page``: whether the next page in order brings items, ends the walk (empty, or the
  same page again, as servers that clamp page numbers answer) or brings nothing new (no
  progress; three in a row is a cycling server, unless ``excused_by_growth``).
- ``fetches_to_start``: how many more pages may be requested now, so that the items held
  (fetched, not yet yielded) and expected (in flight) stay within ``items_ahead``.
- ``plan_recheck``: after the listing's ``count`` changed during a walk, which pages to fetch
  again so that no item present for the whole walk slipped between two pages.
- ``judge_lookup``: what one filtered page says about a single-object look-up.
"""

from __future__ import annotations

import enum
import functools
import itertools
import math
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

import attrs

from galatea_async.errors import InvalidResponseError

__all__ = [
    "MAX_EXCUSED_PAGES",
    "NO_PROGRESS_LIMIT",
    "UNBOUNDED",
    "Lookup",
    "Page",
    "Step",
    "convert_page",
    "excused_by_growth",
    "fetches_to_start",
    "item_id",
    "judge_lookup",
    "judge_page",
    "parse_page",
    "plan_pages",
    "plan_recheck",
    "reach",
]

# Pages in a row that bring no new item before a walk calls the server's pagination cycling.
NO_PROGRESS_LIMIT = 3
# How far an item may have moved across a state whose count is unknown.
UNBOUNDED = 1 << 62
# Pages without new items a walk forgives because the listing grew (items created at the
# front push whole pages back), at most, whatever growth the server reports.
MAX_EXCUSED_PAGES = 32


def item_id(item: Any) -> Any:
    """An item's id, whether it is still a JSON object or already a model."""
    return item.get("id") if isinstance(item, dict) else getattr(item, "id", None)


@attrs.frozen
class Page:
    """One decoded page."""

    results: list[Any]
    count: int | None
    has_next: bool

    @functools.cached_property
    def ids(self) -> tuple[Any, ...]:
        """Each item's id (``item_id``), in order; worked out when first asked (a walk asks
        only once the page's items are converted)."""
        return tuple(item_id(item) for item in self.results)


def parse_page(data: Any, convert: Callable[[dict[str, Any]], Any] | None = None) -> Page:
    """A ``Page`` from a decoded body, each item passed through ``convert``.

    A bare list is taken as a single, last page; items that are not JSON objects are dropped.
    """
    if isinstance(data, list):
        data = {"results": data}
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise InvalidResponseError("a listing answered without a 'results' list")
    count = data.get("count")
    items = [item for item in data.get("results") or [] if isinstance(item, dict)]
    return Page(
        results=[convert(item) for item in items] if convert is not None else items,
        count=count
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0
        else None,
        has_next=bool(data.get("next")),
    )


def convert_page(page: Page, convert: Callable[[dict[str, Any]], Any] | None) -> Page:
    """The page with each item passed through ``convert`` (its ids then come from what
    ``convert`` made)."""
    if convert is None:
        return page
    return Page(
        results=[convert(item) for item in page.results], count=page.count, has_next=page.has_next
    )


def plan_pages(*, count: int, page_size: int, limit: int | None) -> int:
    """How many pages in all are needed for ``min(count, limit)`` items."""
    wanted = count if limit is None else min(count, limit)
    return max(1, math.ceil(wanted / page_size)) if wanted else 1


class Step(enum.Enum):
    """What the next page in order means for the walk."""

    ITEMS = "items"  # it brings at least one item not yielded yet
    END = "end"  # missing, empty, or the previous page again: the listing is over
    NO_PROGRESS = "no progress"  # items, but every one already yielded


def judge_page(
    previous: Page | None, page: Page | None, seen: Container[Any], *, changed: bool = False
) -> Step:
    """What ``page`` (``None``: past the end) means, coming after ``previous``.

    The same ids with the same count is a server clamping the page number: the end, unless
    the walk saw the count change between the two answers (``changed``): then, as with the
    same ids under a different count, the listing shifted, and the page is judged like any
    other. An item without an id cannot be told apart from the others, so it counts as new.
    """
    if page is None or not page.results:
        return Step.END
    if (
        previous is not None
        and not changed
        and page.ids == previous.ids
        and page.count == previous.count
    ):
        return Step.END
    if any(key is None or key not in seen for key in page.ids):
        return Step.ITEMS
    return Step.NO_PROGRESS


def excused_by_growth(counts: Sequence[int | None], *, excused: int, page_size: int) -> bool:
    """Whether one more page without new items is explained by items created meanwhile.

    Each such page needs a page's worth of growth in the counts the walk saw (``counts``, in
    order) beyond the ``excused`` pages already forgiven, and at most ``MAX_EXCUSED_PAGES``
    are: a server whose count keeps growing while it repeats pages still meets the cycle rule.
    """
    grown = sum(
        later - earlier
        for earlier, later in itertools.pairwise(counts)
        if earlier is not None and later is not None and later > earlier
    )
    return excused < MAX_EXCUSED_PAGES and grown >= (excused + 1) * page_size


def fetches_to_start(
    *, items_ahead: int, held: int, in_flight: int, page_items: int, concurrent: int
) -> int:
    """How many more page requests may start now.

    ``held`` items are fetched and not yet yielded; each of the ``in_flight`` requests is
    expected to bring ``page_items`` (the page size asked for, or the largest page seen if
    the server sends more). Held plus expected stays within ``items_ahead`` items, with at most
    ``concurrent`` requests at once; with nothing held or in flight one request may always
    start, whatever its size, so a walk never stalls.
    """
    free_slots = concurrent - in_flight
    if free_slots <= 0:
        return 0
    room = (items_ahead - held) // max(page_items, 1) - in_flight
    if held == 0 and in_flight == 0:
        room = max(room, 1)
    return max(0, min(free_slots, room))


def reach(counts: Sequence[int | None], since: int) -> tuple[int, int]:
    """How far an item may have moved between state ``since`` and the newest: (positions
    toward the back, positions toward the front).

    ``counts`` holds the listing's count in each state the walk saw, in the order it saw
    them; a count that grew by n is taken as n items created (pushing others back), one that
    shrank by n as n items deleted (pulling others forward). A state whose count is unknown
    (``None``: a page the count promised came back 404) may hide any change: unbounded.
    """
    back = front = 0
    for earlier, later in itertools.pairwise(counts[since:]):
        if earlier is None or later is None:
            return UNBOUNDED, UNBOUNDED
        if later > earlier:
            back += later - earlier
        else:
            front += earlier - later
    return back, front


def plan_recheck(
    page_states: Mapping[int, int],
    counts: Sequence[int | None],
    *,
    page_size: int,
    limit: int | None,
    max_pages: int,
) -> list[int]:
    """The pages to fetch again, in order, after the listing changed during the walk.

    ``page_states`` maps each page fetched to the state (an index into ``counts``) it was
    answered in. An item present for the whole walk can only have slipped past every page if
    the page that holds it now was answered in an older state and the page that held it then
    (within its ``reach``) was answered in yet another state (or never). Those pages, and the
    pages the newest count adds beyond the ones fetched, are fetched again, the first
    ``max_pages`` of them (a count of 10^9 must not plan 10^7 pages); nothing when one state
    answered every page.
    """
    newest = len(counts) - 1
    if newest <= 0 or max_pages < 1:
        return []
    count = counts[newest]
    if count is None:
        return [1]  # the newest count is unknown: page 1 tells it
    last = plan_pages(count=count, page_size=page_size, limit=limit)
    wanted: list[int] = []
    for number in range(1, last + 1):
        if len(wanted) >= max_pages:
            break
        state = page_states.get(number)
        if state == newest:
            continue
        known = None if state is None else counts[state]
        if state is None or known is None:
            wanted.append(number)  # never read, or read in a state of unknown count
            continue
        back, front = reach(counts, state)
        # Where the items this page holds now sat when the page was answered (before that
        # state's count).
        first_position = (number - 1) * page_size - back
        last_position = min(number * page_size - 1 + front, known - 1)
        neighbours = range(max(first_position // page_size + 1, 1), last_position // page_size + 2)
        if any(page_states.get(other) != state for other in neighbours if other != number):
            wanted.append(number)
    return wanted


class Lookup(enum.Enum):
    """What a filtered page says about the one object looked up by id."""

    FOUND = "found"
    MISSING = "missing"
    FILTER_IGNORED = "filter ignored"


def judge_lookup(page: Page, wanted: str, matches_filter: Callable[[Any], bool]) -> Lookup:
    """Whether ``page``, asked for with a filter on ``wanted``, holds it, lacks it, or shows
    the server ignored the filter.

    An item that does not match the filter at all, or a page without the object while the
    server says more items follow, means the filter was not applied: reading on would walk
    the whole unfiltered listing.
    """
    if any(key == wanted for key in page.ids):
        return Lookup.FOUND
    if not page.results:
        return Lookup.MISSING
    more = page.has_next or (page.count is not None and page.count > len(page.results))
    if more or not all(matches_filter(item) for item in page.results):
        return Lookup.FILTER_IGNORED
    return Lookup.MISSING
