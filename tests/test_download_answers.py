"""Which answers to a download's request are the file (``judge_answer``, pure: no network)."""

from __future__ import annotations

import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from galatea_async._download._open_response import judge_answer
from galatea_async._download._ranges import BodyInfo


def aiohttp_headers(*lines: tuple[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(lines))


def test_a_200_with_a_length_and_a_name_is_described() -> None:
    headers = aiohttp_headers(
        ("Content-Length", "8192"),
        ("Content-Disposition", 'attachment; filename="r.tsv"'),
        ("ETag", '"abc"'),
    )
    answer = judge_answer(200, headers)
    assert isinstance(answer, BodyInfo)
    assert (answer.total, answer.server_name, answer.validator) == (8192, "r.tsv", '"abc"')


@pytest.mark.parametrize("status", [204, 301, 404, 500])
def test_a_status_other_than_200_or_206_is_refused(status: int) -> None:
    assert judge_answer(status, aiohttp_headers()) == "expected the file (200 or 206)"


@pytest.mark.parametrize(
    "headers",
    [
        aiohttp_headers(("Content-Length", "10"), ("Content-Length", "20")),
        httpx.Headers([("Content-Length", "10"), ("Content-Length", "20")]),
    ],
)
def test_a_length_repeated_with_different_values_is_refused_on_either_transport(
    headers: CIMultiDictProxy[str] | httpx.Headers,
) -> None:
    answer = judge_answer(200, headers)
    assert isinstance(answer, str)
    assert answer.startswith("the server sent Content-Length more than once")


def test_a_length_repeated_with_the_same_value_is_one_header() -> None:
    answer = judge_answer(200, aiohttp_headers(("Content-Length", "10"), ("Content-Length", "10")))
    assert isinstance(answer, BodyInfo)
    assert answer.total == 10


def test_an_html_page_is_refused() -> None:
    answer = judge_answer(200, aiohttp_headers(("Content-Type", "Text/HTML; charset=utf-8")))
    assert isinstance(answer, str)
    assert "HTML page" in answer


def test_a_size_beyond_any_file_is_refused() -> None:
    answer = judge_answer(200, aiohttp_headers(("Content-Length", "9" * 40)))
    assert isinstance(answer, str)
    assert "in Content-Length" in answer
