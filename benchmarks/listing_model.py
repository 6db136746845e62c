"""The listing walk's shape in virtual time, which the machine's load does not move.

    .venv/bin/python benchmarks/listing_model.py [--per-answer-ms 0.7] [--per-order-us 3.3]

Runs `paginate` (the SDK's own walk, default bounds) under trio's `MockClock` over a fake
listing of 10,000 orders, page_size 100: each page answers after 50 ms of virtual time, and
the event loop's own work is charged as a fixed virtual time per answer (request path and
JSON decode) and per converted order. Prints the walk's virtual time and when pages 65, 66
and 100 landed: with a fixed cost per answer, the difference between two trees is their
pages' scheduling alone (a window drained before the next is requested shows as a gap
between pages 65 and 66).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import trio
import trio.testing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from galatea_async._pagination import paginate

ORDERS = 10_000
PAGE_SIZE = 100
LATENCY = 0.05


async def walk(clock: trio.testing.MockClock, per_answer: float, per_order: float) -> None:
    landed: dict[int, float] = {}
    start = trio.current_time()

    async def fetch(page: int, size: int) -> Any:
        await trio.sleep(LATENCY)
        clock.jump(per_answer)
        landed[page] = trio.current_time() - start
        first = (page - 1) * size
        last = min(first + size, ORDERS)
        return {
            "count": ORDERS,
            "next": "next" if last < ORDERS else None,
            "results": [{"id": number} for number in range(first, last)],
        }

    def convert(data: dict[str, Any]) -> dict[str, Any]:
        clock.jump(per_order)
        return data

    count = 0
    async for _order in paginate(fetch, page_size=PAGE_SIZE, convert=convert):
        count += 1
    assert count == ORDERS
    took = trio.current_time() - start
    marks = ", ".join(f"{page}: {landed[page] * 1000:.0f}" for page in (65, 66, 100))
    print(f"walk {took * 1000:.1f} ms of virtual time; pages landed at (ms) {marks}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-answer-ms", type=float, default=0.7)
    parser.add_argument("--per-order-us", type=float, default=3.3)
    args = parser.parse_args()
    clock = trio.testing.MockClock(autojump_threshold=0)
    trio.run(walk, clock, args.per_answer_ms / 1000, args.per_order_us / 1e6, clock=clock)


if __name__ == "__main__":
    main()
