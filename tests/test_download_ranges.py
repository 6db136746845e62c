"""The pure range rules of the download engine: which answers carry the whole file."""

from __future__ import annotations

import pytest

from galatea_async._download._ranges import covers_whole_file, describe_range, describe_response


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
