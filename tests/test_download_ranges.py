"""The pure range rules of the download engine: which answers carry the whole file."""

from __future__ import annotations

import tracemalloc

import pytest

from galatea_async._download._parts import PartQueue
from galatea_async._download._ranges import (
    AbsurdSize,
    covers_whole_file,
    describe_range,
    describe_response,
    plan_parts,
)


@pytest.mark.parametrize(
    ("status", "headers", "whole"),
    [
        (200, {"content_length": "10"}, True),
        (206, {"content_range": "bytes 0-9/10"}, True),
        (206, {"content_range": "bytes 0-9/10", "content_length": "10"}, True),
        (206, {"content_range": "bytes 5-9/10"}, False),
        (206, {"content_range": "bytes 0-4/10"}, False),
        (206, {"content_range": "bytes 0-9/*"}, False),
        (206, {"content_range": "junk"}, False),
        (206, {}, False),
    ],
)
def test_only_a_200_or_a_206_of_every_byte_covers_the_whole_file(
    status: int, headers: dict[str, str], whole: bool
) -> None:
    info = describe_response(status, {k.replace("_", "-"): v for k, v in headers.items()})
    assert covers_whole_file(info) is whole


def test_a_part_is_described_from_what_was_parsed_never_raw() -> None:
    info = describe_response(206, {"content-range": "bytes 51200-102399/102400"})
    assert describe_range(info) == "Content-Range bytes 51200-102399/102400"
    junk = describe_response(206, {"content-range": "bytes \x1b[2J"})
    assert describe_range(junk) == "a Content-Range the SDK cannot read"


def test_parts_are_planned_lazily_whatever_the_announced_size() -> None:
    tracemalloc.start()
    try:
        queue = PartQueue(total=7 * 1_000_000, part_size=7)  # a million parts
        assert queue.take_from_back() == (6_999_993, 7_000_000)
        assert queue.extend(reach=14, end=7) == 21  # the first reader reads on over part 1, 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 10, f"planning a million parts took {peak} bytes"


def test_part_plan_covers_every_byte_once_and_indexes_like_a_list() -> None:
    plan = plan_parts(10, 3)
    assert list(plan) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert len(plan) == 4
    assert plan[-1] == (9, 10)
    assert plan[1:3] == [(3, 6), (6, 9)]
    with pytest.raises(IndexError):
        plan[4]
    huge = plan_parts(10**15, 1)
    assert len(huge) == 10**15
    assert huge[-1] == (10**15 - 1, 10**15)


def test_queue_hands_out_each_part_once() -> None:
    queue = PartQueue(total=10, part_size=3)
    taken = [queue.take_from_back(), queue.take_from_back()]
    assert taken == [(9, 10), (6, 9)]
    assert queue.extend(reach=3, end=3) == 6  # part 1 joins the first reader
    assert not queue


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"content-length": str(2**60 + 1)}, "Content-Length"),
        ({"content-length": "9" * 40}, "Content-Length"),
        ({"content-range": f"bytes 0-9/{10**19}"}, "Content-Range"),
    ],
)
def test_sizes_beyond_any_file_are_absurd(headers: dict[str, str], named: str) -> None:
    status = 206 if "content-range" in headers else 200
    with pytest.raises(AbsurdSize) as caught:
        describe_response(status, headers)
    assert caught.value.header == named


def test_a_petabyte_is_large_but_not_absurd() -> None:
    assert describe_response(200, {"content-length": str(10**15)}).total == 10**15
    assert describe_response(200, {"content-length": "\u00b2"}).total is None
