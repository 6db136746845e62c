"""The pagination helper: page planning, concurrent fetching in order, stop rules."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galatea_async._pagination import paginate, parse_page, plan_pages
from galatea_async.errors import InternalServerError, InvalidResponseError, NotFoundError


def make_server(total: int, *, repeat_from: int | None = None, empty_from: int | None = None):
    calls: list[int] = []
    in_flight = 0
    peak = 0

    async def fetch(page: int, size: int) -> Any:
        nonlocal in_flight, peak
        calls.append(page)
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0)
        in_flight -= 1
        start = (page - 1) * size
        if repeat_from is not None and page >= repeat_from:
            start = (repeat_from - 2) * size
        if empty_from is not None and page >= empty_from:
            return {"count": total, "next": None, "results": []}
        if start >= total:
            raise NotFoundError("Invalid page.", status_code=404)
        items = [{"id": i} for i in range(start, min(start + size, total))]
        has_next = start + size < total
        return {"count": total, "next": "https://x/?page=n" if has_next else None, "results": items}

    return fetch, calls, lambda: peak


@pytest.mark.parametrize(
    ("count", "size", "limit", "pages"),
    [
        (0, 10, None, 1),
        (1, 10, None, 1),
        (10, 10, None, 1),
        (11, 10, None, 2),
        (10000, 100, None, 100),
        (10000, 100, 250, 3),
        (5, 10, 0, 1),
    ],
)
def test_plan_pages(count: int, size: int, limit: int | None, pages: int) -> None:
    assert plan_pages(count=count, page_size=size, limit=limit) == pages


def test_parse_page_accepts_bare_lists_and_rejects_garbage() -> None:
    assert parse_page([{"id": 1}]).results == [{"id": 1}]
    assert parse_page({"count": "x", "results": []}).count is None
    with pytest.raises(InvalidResponseError):
        parse_page({"results": "nope"})


async def test_walks_every_page_in_order_with_bounded_concurrency() -> None:
    fetch, calls, peak = make_server(1000)
    items = [item["id"] async for item in paginate(fetch, page_size=10, concurrent_pages=4)]
    assert items == list(range(1000))
    assert sorted(calls) == list(range(1, 101))
    assert 1 < peak() <= 4


async def test_limit_fetches_no_more_pages_than_needed() -> None:
    fetch, calls, _ = make_server(1000)
    items = [item async for item in paginate(fetch, page_size=10, limit=25)]
    assert len(items) == 25
    assert sorted(calls) == [1, 2, 3]


async def test_stops_on_a_repeated_page() -> None:
    fetch, _, _ = make_server(100, repeat_from=3)
    items = [item["id"] async for item in paginate(fetch, page_size=10, concurrent_pages=1)]
    assert items == list(range(20))


async def test_stops_on_an_empty_page() -> None:
    fetch, _, _ = make_server(100, empty_from=4)
    items = [item["id"] async for item in paginate(fetch, page_size=10)]
    assert items == list(range(30))


async def test_a_page_past_the_end_ends_the_listing() -> None:
    async def fetch(page: int, size: int) -> Any:
        if page == 1:
            return {"count": 30, "next": "n", "results": [{"id": i} for i in range(10)]}
        raise NotFoundError("Invalid page.", status_code=404)

    assert len([item async for item in paginate(fetch, page_size=10)]) == 10


async def test_without_count_follows_next_one_page_at_a_time() -> None:
    async def fetch(page: int, size: int) -> Any:
        return {"next": "n" if page < 3 else None, "results": [{"id": page}]}

    assert [item["id"] async for item in paginate(fetch, page_size=1)] == [1, 2, 3]


async def test_items_repeated_across_shifting_pages_are_yielded_once() -> None:
    async def fetch(page: int, size: int) -> Any:
        ids = {1: [1, 2], 2: [2, 3], 3: [4]}[page]
        return {"count": 5, "next": "n" if page < 3 else None, "results": [{"id": i} for i in ids]}

    assert [item["id"] async for item in paginate(fetch, page_size=2)] == [1, 2, 3, 4]


# --- cycling servers ----------------------------------------------------------


def cycling_server(*, count: int | None) -> tuple[Any, list[int]]:
    """Pages that alternate between two sets of ids forever, with ``next`` always set."""
    calls: list[int] = []
    pages = {1: [1, 2, 3], 0: [4, 5, 6]}

    async def fetch(page: int, size: int) -> Any:
        calls.append(page)
        await anyio.sleep(0)
        body: dict[str, Any] = {"next": "n", "results": [{"id": i} for i in pages[page % 2]]}
        if count is not None:
            body["count"] = count
        return body

    return fetch, calls


@pytest.mark.parametrize("count", [10**9, None])
async def test_a_cycling_listing_raises_after_three_pages_without_news(count: int | None) -> None:
    fetch, calls = cycling_server(count=count)
    yielded: list[int] = []

    async def consume() -> None:
        async for item in paginate(fetch, page_size=3):
            yielded.append(item["id"])

    with pytest.raises(InvalidResponseError, match=r"pages 3\u20135 brought no new items.*cycling"):
        await consume()
    assert yielded == [1, 2, 3, 4, 5, 6]  # what came before stays yielded
    # Page 1, pages 2 to 5 (the last of them shows the cycle), and at most twice the 24 in
    # flight requested beyond the last page handed over: never the 10^9 / 3 pages the count
    # claims.
    assert len(calls) <= 1 + 4 + 2 * 24


async def test_the_cycle_rule_counts_pages_in_a_row() -> None:
    # New ids every other page: slow, but progress; the walk ends where the count says.
    async def fetch(page: int, size: int) -> Any:
        ids = [page, page + 1000] if page % 2 else [page - 1]
        return {"count": 8, "next": "n", "results": [{"id": i} for i in ids]}

    found = [item["id"] async for item in paginate(fetch, page_size=1)]
    assert found == [1, 1001, 3, 1003, 5, 1005, 7, 1007]


# --- errors and huge pages ----------------------------------------------------


async def test_a_failed_page_raises_its_own_error_not_an_exception_group() -> None:
    async def fetch(page: int, size: int) -> Any:
        if page == 5:
            raise InternalServerError("GET /api/v1/exec/orders -> 500: boom", status_code=500)
        return {"count": 100, "next": "n", "results": [{"id": page * 10 + i} for i in range(10)]}

    with pytest.raises(InternalServerError):
        async for _ in paginate(fetch, page_size=10):
            pass


async def test_pages_larger_than_asked_are_held_one_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The server ignores page_size=100 and sends 8,000 items a page: the prefetch bound of
    # 32 x 100 items holds one such page, never a window of them.
    big, total = 8000, 40_000
    returned = consumed = most_held = 0

    async def fetch(page: int, size: int) -> Any:
        nonlocal returned, most_held
        await anyio.sleep(0)
        start = (page - 1) * big
        if start >= total:
            raise NotFoundError("Invalid page.", status_code=404)
        ids = range(start, min(start + big, total))
        returned += len(ids)
        most_held = max(most_held, returned - consumed)
        has_next = start + big < total
        return {
            "count": total,
            "next": "n" if has_next else None,
            "results": [{"id": i} for i in ids],
        }

    caplog.set_level(logging.DEBUG, logger="galatea_async")
    async for _ in paginate(fetch, page_size=100, pages_ahead=32):
        consumed += 1
    assert consumed == total
    assert most_held <= big
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "8000 items where 100 were asked" in warnings[0].getMessage()


# --- listings that change during the walk (what a walk guarantees) -------------------------


class ShiftingListing:
    """Pages by number of a list of ids that changes between page answers.

    ``changes[n]`` runs on the list just before the n-th answer is built; ``delays[page]``
    checkpoints make pages land out of order. Each page is built and returned in one step, so
    answers land in the order they are built, as over one connection per page.
    """

    def __init__(
        self,
        size: int,
        changes: dict[int, Any] | None = None,
        delays: dict[int, int] | None = None,
    ) -> None:
        self.ids = list(range(size))
        self.initial = list(self.ids)
        self.changes = changes or {}
        self.delays = delays or {}
        self.answers = 0
        self.deleted: set[int] = set()
        self.created: set[int] = set()
        self.fresh = 10_000

    def insert(self, position: int, how_many: int = 1) -> Any:
        def change(ids: list[int]) -> None:
            new = list(range(self.fresh, self.fresh + how_many))
            self.fresh += how_many
            self.created.update(new)
            ids[position:position] = new

        return change

    def delete(self, position: int, how_many: int = 1) -> Any:
        def change(ids: list[int]) -> None:
            self.deleted.update(ids[position : position + how_many])
            del ids[position : position + how_many]

        return change

    async def fetch(self, page: int, size: int) -> Any:
        for _ in range(self.delays.get(page, 0)):
            await anyio.sleep(0)
        self.answers += 1
        change = self.changes.get(self.answers)
        if change is not None:
            change(self.ids)
        start = (page - 1) * size
        if page > 1 and start >= len(self.ids):
            raise NotFoundError("Invalid page.", status_code=404)
        window = self.ids[start : start + size]
        more = start + size < len(self.ids)
        return {
            "count": len(self.ids),
            "next": "n" if more else None,
            "results": [{"id": i} for i in window],
        }

    def check(self, yielded: list[int]) -> None:
        """No item twice; every item present from start to end, exactly once."""
        assert len(yielded) == len(set(yielded)), "an item was yielded twice"
        present = set(self.initial) - self.deleted
        missing = present - set(yielded)
        assert not missing, f"items present for the whole walk were not yielded: {missing}"
        assert set(yielded) <= set(self.initial) | self.created


async def walk(listing: ShiftingListing, **options: Any) -> list[int]:
    return [item["id"] async for item in paginate(listing.fetch, **options)]


async def test_an_item_deleted_before_the_walk_reaches_it_shifts_nothing_past_it() -> None:
    # One page at a time: after page 3, an item of page 1 goes; what was first on page 4 is
    # now last on page 3, which was already read. The walk notices the count and reads again.
    listing = ShiftingListing(50)
    listing.changes = {4: listing.delete(0)}
    yielded = await walk(listing, page_size=10, concurrent_pages=1)
    listing.check(yielded)
    assert 40 in yielded  # the item that slid back onto page 4's predecessor


async def test_an_item_created_while_pages_land_out_of_order_shifts_nothing_past_it() -> None:
    # Pages 2-5 in flight together; page 5 lands first, then an order is created at the
    # front, then pages 4, 3, 2: the last item of page 4 slid onto page 5 after it was read.
    listing = ShiftingListing(50)
    listing.delays = {2: 40, 3: 30, 4: 20, 5: 0}
    listing.changes = {3: listing.insert(0)}
    yielded = await walk(listing, page_size=10, concurrent_pages=8)
    listing.check(yielded)


async def test_a_deletion_larger_than_a_page_is_rechecked_as_far_as_it_reaches() -> None:
    listing = ShiftingListing(100)
    listing.changes = {5: listing.delete(3, 25)}
    yielded = await walk(listing, page_size=10, concurrent_pages=1)
    listing.check(yielded)


async def test_a_walk_of_a_listing_that_does_not_change_fetches_each_page_once() -> None:
    listing = ShiftingListing(95)
    yielded = await walk(listing, page_size=10)
    assert yielded == list(range(95))
    assert listing.answers == 10


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
async def test_whatever_changes_during_a_walk_no_item_is_lost_or_doubled(data: Any) -> None:
    size = data.draw(st.integers(0, 60), label="items")
    page_size = data.draw(st.integers(1, 7), label="page_size")
    pages = max(1, -(-size // page_size))
    listing = ShiftingListing(size)
    # Up to two changes, each of up to a page's worth, while the first half of the pages is
    # read: the listing then settles, as the guarantee needs (one that keeps changing through
    # the re-checks may still hide an item; the README says so).
    ticks = st.sets(st.integers(2, max(2, pages // 2)), max_size=2)
    for answer in data.draw(ticks, label="ticks"):
        position = data.draw(st.integers(0, max(size - 1, 0)), label="position")
        how_many = data.draw(st.integers(1, page_size), label="how many")
        if data.draw(st.booleans(), label="insert"):
            listing.changes[answer] = listing.insert(position, how_many)
        else:
            listing.changes[answer] = listing.delete(position, how_many)
    listing.delays = data.draw(
        st.dictionaries(st.integers(1, pages + 1), st.integers(0, 6)), label="delays"
    )
    yielded = await walk(
        listing,
        page_size=page_size,
        concurrent_pages=data.draw(st.integers(1, 8), label="concurrent"),
        pages_ahead=data.draw(st.integers(1, 6), label="pages ahead"),
    )
    listing.check(yielded)


async def test_no_page_is_requested_after_one_past_the_end_has_landed() -> None:
    # The count promises 100 pages; only 5 exist. Empty pages past the end land at once
    # while page 5 is slow: once they have landed, no further page is requested (the 16
    # asked for together with page 5 are all there is).
    calls: list[int] = []

    async def fetch(page: int, size: int) -> Any:
        calls.append(page)
        if page <= 5:
            for _ in range(10 if page == 5 else 1):
                await anyio.sleep(0)
            return {"count": 100, "next": "n", "results": [{"id": page}]}
        return {"count": 100, "next": None, "results": []}

    found = [item["id"] async for item in paginate(fetch, page_size=1, concurrent_pages=16)]
    assert found == [1, 2, 3, 4, 5]
    assert max(calls) <= 1 + 16


async def test_a_page_that_lands_after_the_walk_stopped_is_read_again() -> None:
    # Page 9 says it is the last (the listing shrank) while page 10, in flight, lands after
    # orders were created: page 10 was never read, so its items are fetched again.
    listing = ShiftingListing(37)
    listing.changes = {
        2: listing.delete(0),
        3: listing.delete(0),
        8: listing.delete(0),
        9: listing.insert(0, 5),
    }
    listing.delays = {8: 1}
    yielded = await walk(listing, page_size=4, concurrent_pages=2, pages_ahead=3)
    listing.check(yielded)


async def test_a_change_hidden_by_a_missing_page_is_rechecked_in_full() -> None:
    # 6 orders deleted make page 3 a 404 (no count), then 6 created bring the count back to
    # where it was: the count alone would show no change.
    listing = ShiftingListing(19)
    listing.changes = {2: listing.delete(0), 3: listing.delete(0, 6), 4: listing.insert(7, 6)}
    yielded = await walk(listing, page_size=6, concurrent_pages=1, pages_ahead=1)
    listing.check(yielded)


async def test_a_page_repeated_after_the_count_moved_is_a_shift_not_the_end() -> None:
    # Page 3 lands first (an order deleted: count 5), then page 2 (one created: count 6
    # again) repeats page 1 exactly. A clamping server repeats pages under one count; this
    # walk saw the count move in between, so it reads on.
    listing = ShiftingListing(6)
    listing.changes = {2: listing.delete(1), 3: listing.insert(0)}
    listing.delays = {2: 1}
    yielded = await walk(listing, page_size=1, concurrent_pages=2, pages_ahead=2)
    listing.check(yielded)


async def test_a_count_that_lies_costs_a_bounded_recheck() -> None:
    # 10^9 promised, 3 pages real, 404 past them: the walk ends after the real pages, and
    # the re-check (page 1 to learn the count, then the pages read before the 404) stays
    # within a page more than the walk read, not the 2 x 10^8 pages the count claims.
    calls: list[int] = []

    async def fetch(page: int, size: int) -> Any:
        calls.append(page)
        if page > 3:
            raise NotFoundError("Invalid page.", status_code=404)
        return {"count": 10**9, "next": "n", "results": [{"id": page * 10 + i} for i in range(5)]}

    found = [item["id"] async for item in paginate(fetch, page_size=5)]
    assert sorted(found) == [n * 10 + i for n in (1, 2, 3) for i in range(5)]
    main_pass = 1 + 24 + 1  # page 1, the first window, one started before the first 404 landed
    assert len(calls) <= main_pass + 4 + 1
