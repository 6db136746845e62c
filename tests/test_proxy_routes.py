"""Which proxy a request goes through: the pure rule both transports follow."""

from __future__ import annotations

import httpx
import pytest

from galatea_async import AsyncGalatea
from galatea_async._http._proxies import ProxyRoutes, check_proxy_url, shown_proxy
from galatea_async._http._redact import redact_text
from tests.conftest import API_KEY

PROXY = "http://proxy.example:3128"


def _routes(**environ: str) -> ProxyRoutes:
    return ProxyRoutes.from_settings(None, trust_env=True, environ=environ)


def test_the_scheme_picks_https_proxy_or_http_proxy() -> None:
    routes = _routes(HTTPS_PROXY="http://secure:1", HTTP_PROXY="http://plain:2")
    assert routes.proxy_for("https://api.galatea.bio/x") == "http://secure:1"
    assert routes.proxy_for("http://127.0.0.1:8000/x") == "http://plain:2"


def test_all_proxy_serves_when_the_specific_one_is_unset() -> None:
    routes = _routes(ALL_PROXY=PROXY, HTTP_PROXY="http://plain:2")
    assert routes.proxy_for("https://api.galatea.bio/") == PROXY
    assert routes.proxy_for("http://api.galatea.bio/") == "http://plain:2"


def test_lower_case_variables_win_and_a_missing_scheme_means_http() -> None:
    routes = _routes(https_proxy="lower:1", HTTPS_PROXY="http://upper:2")
    assert routes.proxy_for("https://api.galatea.bio/") == "http://lower:1"


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("*", "https://api.galatea.bio/", True),
        ("galatea.bio", "https://api.galatea.bio/", True),
        (".galatea.bio", "https://api.galatea.bio/", True),
        ("galatea.bio", "https://galatea.bio/", True),
        ("galatea.bio", "https://notgalatea.bio/", False),
        ("127.0.0.1", "http://127.0.0.1:8000/", True),
        ("10.0.0.0/8", "https://10.1.2.3/", True),
        ("10.0.0.0/8", "https://11.1.2.3/", False),
        ("api.galatea.bio:443", "https://api.galatea.bio/", True),
        ("api.galatea.bio:8443", "https://api.galatea.bio/", False),
        ("[::1]", "http://[::1]:8000/", True),
        (" other.example , galatea.bio ", "https://s3.galatea.bio/", True),
    ],
)
def test_no_proxy_entries(no_proxy: str, url: str, direct: bool) -> None:
    routes = _routes(HTTPS_PROXY=PROXY, HTTP_PROXY=PROXY, NO_PROXY=no_proxy)
    assert routes.proxy_for(url) == (None if direct else PROXY)


def test_an_explicit_proxy_serves_every_request_and_ignores_the_environment() -> None:
    routes = ProxyRoutes.from_settings(
        "http://mine:1", trust_env=True, environ={"NO_PROXY": "*", "HTTPS_PROXY": PROXY}
    )
    assert routes.proxy_for("https://api.galatea.bio/") == "http://mine:1"
    assert routes.proxies == ("http://mine:1",)


def test_trust_env_false_reads_no_variable() -> None:
    routes = ProxyRoutes.from_settings(None, trust_env=False, environ={"HTTPS_PROXY": PROXY})
    assert routes.proxy_for("https://api.galatea.bio/") is None


@pytest.mark.parametrize(
    "bad", ["socks5://user:hunter22@h:1080", "http://", "ftp://h:21", "http://h:notaport"]
)
def test_a_bad_proxy_url_is_refused_without_showing_its_password(bad: str) -> None:
    with pytest.raises(ValueError, match="proxy") as caught:
        check_proxy_url(bad)
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize("password", ["pa/ss123xyz", "pa?ss123xyz", "pa#ss123xyz"])
def test_a_password_holding_a_url_delimiter_is_masked_whole_and_the_fix_named(
    password: str,
) -> None:
    with pytest.raises(ValueError, match="percent-encoded") as caught:
        check_proxy_url(f"http://alice:{password}@proxy.example:3128")
    message = str(caught.value)
    assert "alice" not in message and "pa" not in message.replace("password", "")
    assert "http://***@proxy.example:3128" in message


def test_a_bad_proxy_variable_is_named() -> None:
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        _routes(HTTPS_PROXY="socks5://h:1080")


def test_shown_proxy_masks_credentials() -> None:
    assert shown_proxy("http://u:p%40ss@h:3128") == "http://***@h:3128"
    assert shown_proxy("http://h:3128") == "http://h:3128"


def test_url_credentials_are_redacted_from_any_text() -> None:
    text = redact_text("failed via http://bob:pw@proxy:3128 and https://***@h:1")
    assert "bob" not in text and "pw@" not in text
    assert "https://***@h:1" in text


async def test_the_proxy_password_is_redacted_while_the_client_lives() -> None:
    secret = "a-long-proxy-password"
    async with AsyncGalatea(api_key=API_KEY, proxy=f"http://u:{secret}@proxy:1") as client:
        assert secret not in repr(client)
        assert redact_text(f"echoed {secret}") == "echoed [REDACTED]"


def test_proxy_with_a_transport_of_ones_own_is_refused() -> None:
    import httpx

    with pytest.raises(ValueError, match="proxy= and verify="):
        AsyncGalatea(api_key=API_KEY, proxy=PROXY, transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type,return-value]


async def test_a_proxy_variable_a_client_never_uses_cannot_refuse_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy.example:1080")
    async with httpx.AsyncClient(trust_env=False) as http:
        client = AsyncGalatea(api_key="k-unused-proxy", http_client=http)
        await client.aclose()
    with pytest.raises(ValueError, match="HTTPS_PROXY"):
        AsyncGalatea(api_key="k-unused-proxy")  # its own transport would read it
