"""One walk of a listing: which pages to fetch, in what order, and what each brings.

What a walk guarantees: no item is handed over twice (items are told apart by id), and an
item present for the whole walk is handed over once even when others are created or deleted
meanwhile: when the listing's ``count`` changes during the walk, the pages the change may
have shifted are fetched again (``plan_recheck``) and the items they bring that are new come
last. The walk ends at an empty page, a page past the end, or the same page again; pages
that bring nothing new three times in a row are a cycling server (``InvalidResponseError``).

The rules are pure (``_page_rules``); this module does the requests (``_page_window`` for
concurrent pages) and hands each page's new items over (``PageWalk.hand_over_to``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from galatea_async._page_rules import (
    NO_PROGRESS_LIMIT,
    Page,
    Step,
    convert_page,
    excused_by_growth,
    fetches_to_start,
    judge_page,
    parse_page,
    plan_pages,
    plan_recheck,
)
from galatea_async._page_window import Holding, OnPage, fetch_in_order
from galatea_async._seen_ids import SeenIds
from galatea_async.errors import InvalidResponseError, NotFoundError

__all__ = ["MAX_RECHECK_ROUNDS", "FetchPage", "PageWalk"]

logger = logging.getLogger("galatea_async")

# Rounds of re-checks after the listing changed (one may only read page 1 to learn a count a
# 404 hid), of at most one page more than the walk read in all; a listing still changing
# after them is left as it is (the log says so).
MAX_RECHECK_ROUNDS = 4

FetchPage = Callable[[int, int], Awaitable[Any]]  # fetch(page_number, page_size) -> JSON


class PageWalk:
    """One walk: what was yielded, and which count each page was answered with."""

    def __init__(
        self,
        fetch: FetchPage,
        *,
        page_size: int,
        concurrent_pages: int,
        pages_ahead: int,
        convert: Callable[[dict[str, Any]], Any] | None,
        limit: int | None,
        hand_over_to: Callable[[tuple[list[Any], int]], None],
    ) -> None:
        self.fetch = fetch
        self.page_size = page_size
        self.concurrent_pages = max(concurrent_pages, 1)
        self.items_ahead = max(pages_ahead, 1) * page_size
        self.convert = convert
        self.limit = limit
        self.page_items = page_size  # what a page is expected to hold
        self.seen = SeenIds()
        self.counts: list[int | None] = []  # the count in each state seen, in order
        self.page_states: dict[int, int] = {}  # page number -> state it was read in
        self.landed_states: dict[int, int] = {}  # page number -> state it last landed in
        self.excused = 0  # pages without new items forgiven because the listing grew
        self.pages_walked = 0
        self.planned_pages = 1  # the pages the first count (and limit) called for
        self.pending: list[Any] = []  # new items of the pages judged, not handed over yet
        # The items of landed pages not yet taken by the caller.
        self.holding = Holding()
        # Takes a page's new items, and how many items the caller releases when it has them.
        self.hand_over_to = hand_over_to

    async def run(self) -> None:
        """Walk the listing, handing each page's new items over once its turn comes: page 1,
        then the pages in order, then re-checks (or, without a count, page by page)."""
        first = await self.get(1)
        assert first is not None  # a missing first page raises
        self.pages_walked = 1
        self.read(1)
        await self.hand_over_alone(first)
        if not first.results or not first.has_next:
            return
        if first.count is None:
            await self._follow_next(first)
            return
        await self._in_order(first, first.count)
        await self._rechecks()

    async def hand_over_alone(self, page: Page) -> None:
        """Hand the page's new items over and wait until the caller has taken them: page 1
        and the pages fetched one at a time are followed only once the caller asks for
        more (a look-up that stops within page 1 costs one request)."""
        items = self.new_items(page)
        self.holding.add(len(items))
        self.pass_on(items, len(items))
        while self.holding.items > 0:
            await self.holding.wait()

    def pass_on(self, items: list[Any], held: int) -> None:
        """Hand ``items`` over to the caller, who releases ``held`` items when taking them."""
        if items:
            self.hand_over_to((items, held))
        else:
            self.holding.release(held)

    async def get(self, number: int) -> Page | None:
        """Fetch and decode one page, its items converted; ``None`` past the end."""
        return self._converted(await self.fetch_page(number))

    def _converted(self, page: Page | None) -> Page | None:
        return None if page is None else convert_page(page, self.convert)

    async def fetch_page(self, number: int) -> Page | None:
        """Fetch and decode one page, its items as the JSON objects they are; ``None`` past the
        end (404 "Invalid page")."""
        try:
            data = await self.fetch(number, self.page_size)
        except NotFoundError:
            if number == 1:
                raise  # the listing itself is missing (an unknown order's reports, say)
            # A page the count promised is gone: the listing shrank, by how much the 404
            # does not say. A state of unknown count, which the re-checks then resolve.
            if self.counts and self.counts[-1] is not None:
                self.counts.append(None)
            return None
        page = parse_page(data)
        self._observe(number, page)
        return page

    def _observe(self, number: int, page: Page) -> None:
        if page.count is not None and (not self.counts or page.count != self.counts[-1]):
            self.counts.append(page.count)
        if self.counts and self.counts[-1] is not None:
            self.landed_states[number] = len(self.counts) - 1
        if len(page.results) > self.page_items:
            if self.page_items == self.page_size:
                logger.warning(
                    "a listing page held %d items where %d were asked for: the server "
                    "ignores page_size, so fewer pages are fetched ahead",
                    len(page.results),
                    self.page_size,
                )
            self.page_items = len(page.results)

    def _excused(self) -> bool:
        """Whether a page without new items is explained by the listing's growth."""
        if not excused_by_growth(self.counts, excused=self.excused, page_size=self.page_size):
            return False
        self.excused += 1
        return True

    def _changed(self, earlier: int, later: int) -> bool:
        """Whether the count changed between the answers to two pages (in either order)."""
        first, second = self.landed_states.get(earlier), self.landed_states.get(later)
        return first is not None and second is not None and first != second

    def read(self, number: int) -> None:
        """Record that page ``number``, as it last landed, was read: its items are yielded (or
        were already). Only read pages count as covering their part of the listing; a page
        that landed after the walk stopped did not."""
        if number in self.landed_states:
            self.page_states[number] = self.landed_states[number]

    def new_items(self, page: Page) -> list[Any]:
        """The page's items not yielded yet."""
        items: list[Any] = []
        self.take_new(page, items)
        return items

    def take_new(self, page: Page, into: list[Any], *, require_id: bool = False) -> None:
        """Add the page's items not yielded yet to ``into``; items without an id too, unless
        ``require_id`` (they cannot be told apart from the ones already yielded)."""
        for item, key in zip(page.results, page.ids, strict=True):
            if key is None:
                if not require_id:
                    into.append(item)
            elif self.seen.add_new(key):
                into.append(item)

    async def _in_order(self, first: Page, count: int) -> None:
        """Pages 2 to the last one ``count`` (and ``limit``) needs, handed over in order."""
        total_pages = plan_pages(count=count, page_size=self.page_size, limit=self.limit)
        self.planned_pages = total_pages
        previous, previous_number = first, 1
        no_progress: list[int] = []
        ended = False
        cycle: InvalidResponseError | None = None

        def on_page(number: int, page: Page | None) -> bool:
            nonlocal previous, previous_number, ended, cycle
            self.read(number)
            step = judge_page(
                previous, page, self.seen, changed=self._changed(previous_number, number)
            )
            if step is Step.END or page is None:
                ended = True
                return False
            if step is Step.NO_PROGRESS and not self._excused():
                no_progress.append(number)
                if len(no_progress) >= NO_PROGRESS_LIMIT:
                    cycle = _cycling(no_progress[0], number)
                    return False
            elif step is Step.ITEMS:
                no_progress.clear()
                self.take_new(page, self.pending)
            previous, previous_number = page, number
            ended = not page.has_next
            return not ended

        numbers = range(self.pages_walked + 1, total_pages + 1)
        self.pages_walked += await self.window(numbers, on_page)
        if cycle is not None:
            raise cycle

    async def _rechecks(self) -> None:
        """After the count changed: the pages a change may have shifted, fetched again.

        In all, at most one page more than the walk read (the one: page 1, to learn a count a
        404 hid), plus the pages a grown count adds past the walk's end (no more than the walk
        read), in at most ``MAX_RECHECK_ROUNDS`` rounds: a server whose count lies or runs
        away cannot turn the re-check into an endless walk.
        """
        largest = max((count for count in self.counts if count is not None), default=0)
        grown_pages = plan_pages(count=largest, page_size=self.page_size, limit=self.limit)
        added = min(max(grown_pages - self.planned_pages, 0), self.pages_walked)
        pages_left = self.pages_walked + 1 + added
        for _ in range(MAX_RECHECK_ROUNDS):
            again = self._recheck_plan(pages_left)
            if not again:
                return
            logger.debug("the listing changed during the walk: %d pages fetched again", len(again))
            pages_left -= len(again)
            await self.window(again, self._collect)
        if self._recheck_plan(1):
            logger.info(
                "the listing kept changing while it was walked: items that moved during the "
                "walk may be missing from it; list again for a settled view"
            )

    def _recheck_plan(self, max_pages: int) -> list[int]:
        return plan_recheck(
            self.page_states,
            self.counts,
            page_size=self.page_size,
            limit=self.limit,
            max_pages=max_pages,
        )

    def _collect(self, number: int, page: Page | None) -> bool:
        self.read(number)
        if page is not None:
            self.take_new(page, self.pending, require_id=True)
        return True

    async def _follow_next(self, first: Page) -> None:
        """Without a count: one page at a time while ``next`` says there is more."""
        previous = first
        no_progress: list[int] = []
        while previous.has_next:
            number = self.pages_walked + 1
            page = await self.get(number)
            self.pages_walked = number
            self.read(number)
            step = judge_page(previous, page, self.seen)
            if step is Step.END or page is None:
                return
            if step is Step.NO_PROGRESS and not self._excused():
                no_progress.append(number)
                if len(no_progress) >= NO_PROGRESS_LIMIT:
                    raise _cycling(no_progress[0], number)
            elif step is Step.ITEMS:
                no_progress.clear()
                await self.hand_over_alone(page)
            previous = page

    def _may_start(self, held: int, in_flight: int) -> bool:
        """Whether one more page request fits ``items_ahead`` beside the items held and expected."""
        return (
            fetches_to_start(
                items_ahead=self.items_ahead,
                held=held,
                in_flight=in_flight,
                page_items=self.page_items,
                concurrent=self.concurrent_pages,
            )
            > 0
        )

    async def window(self, numbers: Sequence[int], on_page: OnPage) -> int:
        """Fetch the pages ``numbers`` concurrently, judge each in order with ``on_page`` and
        hand its new items over (``fetch_in_order``, with this walk's bound on the items held
        and in flight, which the caller's taking of pages frees)."""

        def judged(number: int, page: Page | None) -> bool:
            go_on = on_page(number, page)
            items, self.pending = self.pending, []
            self.pass_on(items, 0 if page is None else len(page.results))
            return go_on

        return await fetch_in_order(
            numbers,
            self.fetch_page,
            self._converted,
            judged,
            self._may_start,
            most_ahead=2 * self.concurrent_pages,
            holding=self.holding,
        )


def _cycling(first: int, last: int) -> InvalidResponseError:
    return InvalidResponseError(
        f"a listing's pages {first}–{last} brought no new items; the server's pagination "  # noqa: RUF001
        "is cycling (it repeats pages it already sent), so the walk stops here. The items "
        "already yielded are real; list again later, or narrow the listing with its filters"
    )
