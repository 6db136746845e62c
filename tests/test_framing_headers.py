"""Which framing headers an answer repeats (``repeated_framing_headers``, pure)."""

from __future__ import annotations

import httpx
from multidict import CIMultiDict, CIMultiDictProxy

from galatea_async._http._headers import repeated_framing_headers

RAW = [
    ("Content-Length", "10"),
    ("content-length", "11"),
    ("Content-Encoding", "identity"),
    ("Content-Disposition", 'attachment; filename="a"'),
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2"),
]


def test_only_repeated_framing_headers_are_reported_on_either_transport() -> None:
    expected = {"Content-Length": ["10", "11"]}
    assert repeated_framing_headers(CIMultiDictProxy(CIMultiDict(RAW))) == expected
    assert repeated_framing_headers(httpx.Headers(RAW)) == expected


def test_an_answer_repeating_no_framing_header_reports_none() -> None:
    single = [("Content-Length", "10"), ("ETag", '"a"'), ("ETag", '"a"')]
    assert repeated_framing_headers(CIMultiDictProxy(CIMultiDict(single))) == {}
    assert repeated_framing_headers({"content-length": "10"}) == {}
