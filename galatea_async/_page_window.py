"""Fetch a run of listing pages concurrently and hand them over in order.

The I/O half of a walk's window (``_pagination``): requests start while ``may_start`` allows
(the walk's bound on items held and in flight), each page lands as it comes, and the pages are
converted and handed to ``on_page`` in page order. A request slot whose page lands asks for
the next page itself, in the same step, so a burst of pages landing together goes out again
page by page; pages are converted later, by the loop that hands them over, one page at a
time and only in a turn of the event loop in which no page landed: while a burst's answers
are being read (and their slots' next requests sent), its conversions wait. While the page
next in line is still in flight, the loop converts the pages that landed behind it, so that
once it lands only it is left to convert (at a window's end nothing else is in flight then);
a page's conversion error is kept until its turn, so a page past the listing's end never
fails the walk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio
import anyio.abc
import anyio.lowlevel

from galatea_async._page_rules import Page

__all__ = ["Holding", "OnPage", "fetch_in_order"]

# Called with each page, in page order, as it is handed over; returns whether to go on.
OnPage = Callable[[int, "Page | None"], bool]


class Holding:
    """The items of landed pages a walk holds, and a signal set when a page lands or the
    caller takes a page's items (``release``): either may let another request start."""

    def __init__(self) -> None:
        self.items = 0
        self._changed = anyio.Event()

    def add(self, count: int) -> None:
        self.items += count
        self._changed.set()

    def release(self, count: int) -> None:
        self.items -= count
        self._changed.set()

    def signal(self) -> None:
        self._changed.set()

    async def wait(self) -> None:
        """Wait for the next landing or release since the last wait."""
        await self._changed.wait()
        self._changed = anyio.Event()


async def fetch_in_order(
    numbers: Sequence[int],
    fetch_page: Callable[[int], Awaitable[Page | None]],
    convert: Callable[[Page | None], Page | None],
    on_page: OnPage,
    may_start: Callable[[int, int], bool],
    most_ahead: int,
    holding: Holding,
) -> int:
    """Fetch the pages ``numbers`` (``None``: past the end) and hand each, converted and in
    order, to ``on_page``; return how many were handed over.

    ``may_start(held, in_flight)`` says whether one more request may start beside the items
    ``holding`` counts (landed, not yet released by whoever takes the pages handed over) and
    the requests in flight; when none may, the run waits for a page to land or for a release.
    At most ``most_ahead`` pages are requested beyond the last one handed over (those in
    flight, and those whose slots' pages landed before being judged), so a server that
    cycles costs a bounded number of requests past the cycle. The run ends when every page
    of ``numbers`` is handed over, or when ``on_page`` says stop (the items of pages that
    landed but were not handed over are then released). A failed request or conversion
    fails the run with its own error (not an exception group).
    """
    window = _Window(numbers, fetch_page, may_start, most_ahead, holding)
    async with anyio.create_task_group() as group:
        while True:
            if window.start_slots(group) and window.has_work:
                await anyio.lowlevel.checkpoint()
            while window.has_work:
                landed = window.landed
                await anyio.lowlevel.checkpoint()
                # Answers still landing go first: their slots send the next requests.
                if window.landed == landed:
                    window.work_next(convert, on_page)
            if window.finished or (
                window.all_landed and not window.start_slots(group) and window.exhausted
            ):
                break
            await window.holding.wait()
        group.cancel_scope.cancel()
    window.holding.release(sum(window.sizes.values()))
    if window.failure:
        raise window.failure[0]
    return window.handed


class _Window:
    """The state of one ``fetch_in_order`` run: pages requested, landed and handed over."""

    def __init__(
        self,
        numbers: Sequence[int],
        fetch_page: Callable[[int], Awaitable[Page | None]],
        may_start: Callable[[int, int], bool],
        most_ahead: int,
        holding: Holding,
    ) -> None:
        self._numbers = numbers
        self._fetch_page = fetch_page
        self._may_start = may_start
        self._most_ahead = most_ahead
        self.arrived: dict[int, Page | None] = {}  # landed, in the order they landed
        # Converted ahead of their turn (or the conversion's error), waiting to be handed over.
        self.converted: dict[int, Page | Exception | None] = {}
        self.failure: list[Exception] = []
        self.handed = self._started = self.landed = 0
        self.holding = holding
        self.sizes: dict[int, int] = {}  # landed, not handed over: index -> items
        # A page past the end (missing or empty) may land before the pages ahead of it:
        # nothing after it is requested (``numbers`` go up).
        self._end = len(numbers)
        self._stopped = False

    @property
    def finished(self) -> bool:
        return self._stopped or bool(self.failure)

    @property
    def all_landed(self) -> bool:
        return self._started == self.landed

    @property
    def exhausted(self) -> bool:
        """Whether every page of the run was requested."""
        return self._started >= self._end

    def start_slots(self, group: anyio.abc.TaskGroup) -> int:
        """Start a slot for each page that may be requested now; how many started."""
        count = 0
        while (index := self._take_next()) is not None:
            group.start_soon(self._slot, index)
            count += 1
        return count

    @property
    def has_work(self) -> bool:
        """Whether a landed page waits to be converted or handed over."""
        return not self.finished and bool(self.arrived or self.handed in self.converted)

    def work_next(self, convert: Callable[[Page | None], Page | None], on_page: OnPage) -> None:
        """Hand over the page next in line if it landed, else convert the earliest page landed
        behind it."""
        if not self.has_work:
            return
        if self.handed in self.converted or self.handed in self.arrived:
            self._hand_over(convert, on_page)
        else:
            index = next(iter(self.arrived))
            self.converted[index] = _converted(convert, self.arrived.pop(index))

    def _hand_over(self, convert: Callable[[Page | None], Page | None], on_page: OnPage) -> None:
        if self.handed in self.converted:
            outcome = self.converted.pop(self.handed)
        else:
            outcome = _converted(convert, self.arrived.pop(self.handed))
        self.sizes.pop(self.handed, None)
        if isinstance(outcome, Exception):
            self.failure.append(outcome)
            return
        self._stopped = not on_page(self._numbers[self.handed], outcome)
        self.handed += 1

    def _take_next(self) -> int | None:
        """The index of the next page to request, if one more may start now."""
        if self.finished or self._started >= self._end:
            return None
        if self._started - self.handed >= self._most_ahead:
            return None
        if not self._may_start(self.holding.items, self._started - self.landed):
            return None
        self._started += 1
        return self._started - 1

    async def _slot(self, index: int | None) -> None:
        # A slot whose page landed requests the next one itself, at once: a burst of pages
        # landing together goes out again page by page, not once the whole burst is read.
        while index is not None:
            try:
                page = await self._fetch_page(self._numbers[index])
            except Exception as error:
                self.failure.append(error)
                page = None
            else:
                self.arrived[index] = page
                if page is None or not page.results:
                    self._end = min(self._end, index + 1)
                else:
                    self.sizes[index] = len(page.results)
                    self.holding.add(len(page.results))
            self.landed += 1
            self.holding.signal()
            index = self._take_next()


def _converted(
    convert: Callable[[Page | None], Page | None], page: Page | None
) -> Page | Exception | None:
    """The converted page, or the error converting it raised (raised in the page's turn)."""
    try:
        return convert(page)
    except Exception as error:
        return error
