from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._http._headers import (
    conflicting_framing_header,
    etag_is_strong,
    parse_content_disposition,
    parse_content_range,
    parse_retry_after,
    repeated_values,
)

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc)


# --- Retry-After -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("  7  ", 7.0),
        ("1.5", 1.5),
        ("120", 120.0),
        ("121", 120.0),
        ("99999999999999999999999999", 120.0),
        ("1" * 5000, 120.0),
        ("5, 7", 5.0),
        ("junk, 7", 7.0),
        ("-1, 3", 3.0),
    ],
)
def test_retry_after_delta_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "-1", "+5", "1e3", "inf", "nan", "NaN", "Infinity", "abc", ",", ", ,", "5s"],
)
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2015 07:28:30 GMT",  # IMF-fixdate
        "Wednesday, 21-Oct-15 07:28:30 GMT",  # obsolete RFC 850
        "Wed Oct 21 07:28:30 2015",  # asctime
    ],
)
def test_retry_after_http_date_forms(value: str) -> None:
    assert parse_retry_after(value, now=NOW) == 30.0


def test_retry_after_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=NOW) == 0.0


def test_retry_after_far_future_date_is_clamped() -> None:
    assert parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now=NOW, maximum=60) == 60.0


def test_retry_after_duplicated_dates_take_the_first() -> None:
    value = "Wed, 21 Oct 2015 07:28:10 GMT, Wed, 21 Oct 2015 07:28:50 GMT"
    assert parse_retry_after(value, now=NOW) == 10.0


def test_retry_after_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=naive) == 30.0


def test_retry_after_defaults_now_to_the_current_time() -> None:
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    value = soon.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(value, maximum=120) == 120.0


@pytest.mark.parametrize(
    "value", ["Wed, 31 Feb 2015 07:28:00 GMT", "Wed, 21 Oct 99999 07:28:00 GMT", "Wed, 21 Oct"]
)
def test_retry_after_impossible_dates_are_none(value: str) -> None:
    assert parse_retry_after(value, now=NOW) is None


@settings(max_examples=300, deadline=None)
@given(value=st.text(), maximum=st.floats(min_value=0, max_value=1e6))
def test_retry_after_never_raises_and_stays_in_bounds(value: str, maximum: float) -> None:
    result = parse_retry_after(value, now=NOW, maximum=maximum)
    assert result is None or (0.0 <= result <= maximum and not math.isnan(result))


@settings(max_examples=100, deadline=None)
@given(seconds=st.integers(min_value=0, max_value=10**30))
def test_retry_after_any_integer_is_clamped(seconds: int) -> None:
    assert parse_retry_after(str(seconds), now=NOW) == min(float(seconds), 120.0)


@settings(max_examples=100, deadline=None)
@given(offset=st.integers(min_value=-(10**6), max_value=10**6))
def test_retry_after_any_imf_date_is_measured_from_now(offset: int) -> None:
    value = (NOW + timedelta(seconds=offset)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(value, now=NOW, maximum=1e7) == max(offset, 0)


# --- Content-Disposition -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('attachment; filename="a.tsv"', "a.tsv"),
        ("attachment; filename=a.tsv", "a.tsv"),
        ("attachment;filename=a.tsv;", "a.tsv"),
        ('ATTACHMENT; FILENAME="A.tsv"', "A.tsv"),
        ('filename="no-type.tsv"', "no-type.tsv"),
        ('inline; filename="a;b.tsv"', "a;b.tsv"),
        (r'attachment; filename="quote \"me\".tsv"', 'quote "me".tsv'),
        (r'attachment; filename="back\\slash.tsv"', "back\\slash.tsv"),
        ('attachment; filename="unterminated.tsv', "unterminated.tsv"),
        ("attachment; filename*=UTF-8''caf%C3%A9.tsv", "café.tsv"),
        ("attachment; filename*=utf-8'en'caf%C3%A9.tsv", "café.tsv"),
        ("attachment; filename*=ISO-8859-1''caf%E9.tsv", "café.tsv"),
        ("attachment; FileName*=UTF-8''%E2%82%AC.txt", "€.txt"),
        ("attachment; filename=\"plain.tsv\"; filename*=UTF-8''ext%20name.tsv", "ext name.tsv"),
        ("attachment; filename*=UTF-8''ext.tsv; filename=\"plain.tsv\"", "ext.tsv"),
        ("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"),
        ('attachment; filename="first.tsv"; filename="second.tsv"', "first.tsv"),
        ('attachment; size=3; filename="x.tsv"; creation-date="Wed; 12"', "x.tsv"),
    ],
)
def test_content_disposition_file_name(value: str, expected: str) -> None:
    assert parse_content_disposition(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A broken filename* falls back to filename.
        ("attachment; filename*=UTF-8''%FF%FE; filename=ok.tsv", "ok.tsv"),
        ("attachment; filename*=KOI8-R''x; filename=ok.tsv", "ok.tsv"),
        ("attachment; filename*=no-quotes.tsv; filename=ok.tsv", "ok.tsv"),
        ("attachment; filename*=UTF-8''; filename=ok.tsv", "ok.tsv"),
    ],
)
def test_content_disposition_bad_extended_value_falls_back(value: str, expected: str) -> None:
    assert parse_content_disposition(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "attachment", "attachment;", 'attachment; filename=""', "attachment; name=x", ";;;"],
)
def test_content_disposition_without_name_is_none(value: str | None) -> None:
    assert parse_content_disposition(value) is None


@settings(max_examples=300, deadline=None)
@given(value=st.text())
def test_content_disposition_never_raises(value: str) -> None:
    result = parse_content_disposition(value)
    assert result is None or (isinstance(result, str) and result)


@settings(max_examples=100, deadline=None)
@given(name=st.text(alphabet=st.characters(codec="utf-8"), min_size=1))
def test_content_disposition_round_trips_any_name_through_filename_star(name: str) -> None:
    encoded = quote(name.encode("utf-8"), safe="")
    assert parse_content_disposition(f"attachment; filename*=UTF-8''{encoded}") == name


# --- Content-Range -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes 0-99/100", (0, 99, 100)),
        ("bytes 100-199/*", (100, 199, None)),
        ("BYTES 5-5/6", (5, 5, 6)),
        ("  bytes   0-0/1 ", (0, 0, 1)),
    ],
)
def test_content_range_valid(value: str, expected: tuple[int, int, int | None]) -> None:
    assert parse_content_range(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes 10-5/100",  # last before first
        "bytes 0-100/100",  # last past the end
        "bytes 100-100/100",  # first at the end
        "bytes */100",
        "bytes -5/100",
        "items 0-1/2",
        "bytes 0-1",
        "bytes 0-1/-2",
        "bytes 0-1/2, bytes 3-4/5",
        "bytes " + "9" * 30 + "-" + "9" * 31 + "/*",
    ],
)
def test_content_range_invalid_is_none(value: str | None) -> None:
    assert parse_content_range(value) is None


@settings(max_examples=200, deadline=None)
@given(value=st.text())
def test_content_range_never_raises(value: str) -> None:
    result = parse_content_range(value)
    if result is not None:
        first, last, total = result
        assert 0 <= first <= last
        assert total is None or last < total


@settings(max_examples=100, deadline=None)
@given(first=st.integers(0, 2**62), length=st.integers(1, 2**40), extra=st.integers(0, 10))
def test_content_range_round_trips(first: int, length: int, extra: int) -> None:
    last = first + length - 1
    total = last + 1 + extra
    assert parse_content_range(f"bytes {first}-{last}/{total}") == (first, last, total)


# --- ETag --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("etag", "strong"),
    [
        ('"abc"', True),
        ('""', True),
        ('"d41d8cd98f00b204e9800998ecf8427e-3"', True),
        ('W/"abc"', False),
        ('w/"abc"', False),
        ("abc", False),
        ('"abc', False),
        ('"a"b"', False),
        ('"a b"', False),
        ("", False),
        (None, False),
    ],
)
def test_etag_strength(etag: str | None, strong: bool) -> None:
    assert etag_is_strong(etag) is strong


# -- the parameter scanner is regex-driven (fast); the character loop it replaced is the oracle


def _reference_parameters(text: str) -> dict[str, str]:
    def segment_end(start: int) -> int:
        in_quotes, index = False, start
        while index < len(text):
            char = text[index]
            if in_quotes and char == "\\":
                index += 2
                continue
            if char == '"':
                in_quotes = not in_quotes
            elif char == ";" and not in_quotes:
                return index
            index += 1
        return len(text)

    def unquote(raw: str) -> str:
        if not raw.startswith('"'):
            return raw
        out, index = [], 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                out.append(raw[index + 1])
                index += 2
                continue
            if char == '"':
                break
            out.append(char)
            index += 1
        return "".join(out)

    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        end = segment_end(position)
        name, sep, raw = text[position:end].partition("=")
        name = name.strip().lower()
        if sep and name and name not in params:
            params[name] = unquote(raw.strip())
        position = end + 1
    return params


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab;=\"\\ \t*'%é"), max_size=40) | st.text(max_size=40))
def test_parameter_scanner_agrees_with_the_character_loop(text: str) -> None:
    from galatea_async._http._headers import _parse_parameters

    assert _parse_parameters(text) == _reference_parameters(text)


def _lines(**values: list[str]) -> dict[str, list[str]]:
    return {name.replace("_", "-").title(): lines for name, lines in values.items()}


@pytest.mark.parametrize(
    ("lines", "conflict"),
    [
        (_lines(content_length=["10"]), None),
        (_lines(content_length=["10", "10"]), None),
        (_lines(content_length=["10", "11"]), "Content-Length"),
        (_lines(content_encoding=["identity", "identity"]), None),
        (_lines(content_encoding=["identity", "gzip"]), "Content-Encoding"),
        (_lines(content_encoding=["gzip", "gzip"]), "Content-Encoding"),
        (_lines(content_range=["bytes 0-9/10", "bytes 0-9/11"]), "Content-Range"),
        (_lines(content_disposition=['inline; filename="a"', 'inline; filename="a" ']), None),
        (_lines(content_disposition=['inline; filename="a"', 'inline; filename="b"']),
         "Content-Disposition"),
    ],
)  # fmt: skip
def test_repeated_framing_headers_conflict_only_when_their_values_differ(
    lines: dict[str, list[str]], conflict: str | None
) -> None:
    assert conflicting_framing_header(lines) == conflict


def test_repeated_values_reads_every_line_of_httpx_and_aiohttp_headers() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    raw = [("Content-Encoding", "identity"), ("content-encoding", "gzip")]
    assert repeated_values(httpx.Headers(raw), "Content-Encoding") == ["identity", "gzip"]
    proxy = CIMultiDictProxy(CIMultiDict(raw))
    assert repeated_values(proxy, "Content-Encoding") == ["identity", "gzip"]
    assert repeated_values({"content-encoding": "gzip"}, "content-encoding") == ["gzip"]
    assert repeated_values({}, "Content-Range") == []
