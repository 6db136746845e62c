"""The two call factories of the request path: an API path template, and an absolute URL."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._http._calls import ApiRoot

ROOT = ApiRoot.of(httpx.URL("https://api.galatea.test/api/v1/"))


def test_the_root_keeps_its_path_and_origin_even_without_a_final_slash() -> None:
    root = ApiRoot.of(httpx.URL("http://127.0.0.1:8080/api"))
    assert root.path == "/api/"
    assert root.origin == ("http", "127.0.0.1", 8080)


def test_an_api_call_keeps_the_template_for_logs_and_the_filled_path_for_errors() -> None:
    call = ROOT.call(
        "GET",
        "exec/orders/{order_id}",
        headers={"accept": "application/json"},
        path_params={"order_id": "a/b c"},
        params={"limit": 5, "active": True, "status": None},
    )
    assert call.url == "https://api.galatea.test/api/v1/exec/orders/a%2Fb%20c?limit=5&active=true"
    assert call.log_path == "/api/v1/exec/orders/{order_id}"
    assert call.path == "/api/v1/exec/orders/a%2Fb%20c"
    assert call.credentials and call.authenticated and not call.follow_redirects


def test_an_api_call_quotes_query_values_that_need_it() -> None:
    call = ROOT.call("GET", "exec/orders", headers={}, params={"search": "a&b=c d"})
    assert call.url.endswith("exec/orders?search=a%26b%3Dc+d")


@pytest.mark.parametrize(
    ("url", "credentials"),
    [
        ("https://api.galatea.test/files/1?sig=x", True),
        ("https://api.galatea.test:443/files/1", True),
        ("https://bucket.storage.test/files/1", False),
        ("http://api.galatea.test/files/1", False),
        ("https://api.galatea.test:8443/files/1", False),
    ],
)
def test_a_call_to_a_url_carries_credentials_only_on_the_api_origin(
    url: str, credentials: bool
) -> None:
    call = ROOT.call_to_url("GET", httpx.URL(url), headers={})
    assert call.credentials is credentials
    assert call.log_path == call.path == httpx.URL(url).path


def test_a_call_to_a_url_adds_parameters_to_the_query_it_has() -> None:
    with_query = ROOT.call_to_url(
        "GET", httpx.URL("https://cdn.test/f?sig=x"), headers={}, params={"part": 2}
    )
    bare = ROOT.call_to_url("GET", httpx.URL("https://cdn.test/f"), headers={}, params={"part": 2})
    assert with_query.url == "https://cdn.test/f?sig=x&part=2"
    assert bare.url == "https://cdn.test/f?part=2"


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20) | st.uuids().map(str))
def test_a_path_parameter_is_percent_encoded_whole_as_quote_encodes_it(value: str) -> None:
    from urllib.parse import quote

    from galatea_async._http._calls import expand

    assert expand("orders/{id}/x", {"id": value}) == f"orders/{quote(value, safe='')}/x"
