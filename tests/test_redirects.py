"""Pure redirect decisions: the next hop, its method, whether credentials go, the cap."""

from __future__ import annotations

import pytest

from galatea_async._http._redirects import (
    MAX_REDIRECTS,
    RedirectRefused,
    next_hop,
    origin_of,
    without_query,
)

API = ("https", "api.galatea.test", 443)
START = "https://api.galatea.test/api/v1/data/results/x/download?result_type=A"


def test_a_relative_location_stays_on_the_api_origin_with_credentials() -> None:
    step = next_hop(
        url=START, method="GET", status=302, location="/files/r.tsv", count=0, api_origin=API
    )
    assert step.url == "https://api.galatea.test/files/r.tsv"
    assert step.credentials is True
    assert step.count == 1


@pytest.mark.parametrize(
    "location",
    [
        "https://bucket.example/r.tsv?X-Amz-Signature=abc",
        "https://api.galatea.test:8443/r.tsv",  # another port is another origin
        "https://API.galatea.test.evil.example/r.tsv",
    ],
)
def test_another_origin_gets_no_credentials(location: str) -> None:
    step = next_hop(url=START, method="GET", status=307, location=location, count=0, api_origin=API)
    assert step.credentials is False


def test_a_hop_back_to_the_api_origin_gets_credentials_again() -> None:
    step = next_hop(
        url="https://bucket.example/r.tsv",
        method="GET",
        status=302,
        location="https://API.galatea.test:443/back",
        count=1,
        api_origin=API,
    )
    assert step.credentials is True
    assert step.count == 2


def test_the_sixth_redirect_is_refused() -> None:
    assert MAX_REDIRECTS == 5
    next_hop(url=START, method="GET", status=302, location="/a", count=4, api_origin=API)
    with pytest.raises(RedirectRefused, match="redirected more than 5 times"):
        next_hop(url=START, method="GET", status=302, location="/a", count=5, api_origin=API)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (None, "without a Location"),
        ("   ", "without a Location"),
        ("ftp://files.example/r.tsv", "not http"),
        ("file:///etc/passwd", "not http"),
        ("https://user:pw@bucket.example/r", "user name or password"),
        ("http://api.galatea.test/r.tsv", "https down to plain http"),
        ("https://host:99999999/r", "malformed"),
    ],
)
def test_redirects_that_are_not_followed(location: str | None, reason: str) -> None:
    with pytest.raises(RedirectRefused, match=reason) as caught:
        next_hop(url=START, method="GET", status=302, location=location, count=0, api_origin=API)
    assert "pw@" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "method", "expected"),
    [
        (303, "POST", "GET"),
        (303, "HEAD", "HEAD"),
        (302, "POST", "GET"),
        (301, "POST", "GET"),
        (307, "POST", "POST"),
        (308, "PUT", "PUT"),
        (302, "GET", "GET"),
    ],
)
def test_the_method_of_the_next_hop(status: int, method: str, expected: str) -> None:
    step = next_hop(url=START, method=method, status=status, location="/x", count=0, api_origin=API)
    assert step.method == expected


def test_the_fragment_is_dropped_and_the_query_kept_for_the_request() -> None:
    step = next_hop(
        url=START, method="GET", status=302, location="/x?sig=1#part", count=0, api_origin=API
    )
    assert step.url == "https://api.galatea.test/x?sig=1"


def test_origins_make_default_ports_explicit() -> None:
    assert origin_of("https://Api.Galatea.Test/x") == API
    assert origin_of("http://127.0.0.1/x") == ("http", "127.0.0.1", 80)
    assert origin_of("ftp://x/") is None
    assert origin_of("/relative") is None
    assert without_query("https://h/p?filter=patient.vcf#f") == "https://h/p"
