"""Redirects answering a download or an API call, and variants.

Downloads follow at most 5 redirects, never to another scheme, a URL with credentials or a
malformed one, and never carry a credential to another origin; API calls never follow one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from galatea_async.errors import UnexpectedRedirectError
from tests.integration.hostile.checks import (
    API_KEY,
    assert_no_canary,
    leftovers,
    rendered,
)
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import in_turn, new_id, redirect, serve_file
from tests.integration.hostile.server import HostileServer, Reply, Request

DOWNLOAD = r"data/results/[^/]+/download"


def file_bytes(size: int) -> bytes:
    return hashlib.shake_256(b"redirected download").digest(size)


async def download_result(connect: Connect, dest: Path) -> Path:
    return await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)


# -- 10.12: redirects --------------------------------------------------------------------------


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
async def test_download_redirect_loop_stops_after_five(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture,
    absolute: bool,
) -> None:  # fmt: skip
    order_id = new_id()
    loop = f"/api/v1/data/results/{order_id}/download?result_type=SUMMARY_CHROMS"
    server.on("GET", DOWNLOAD, redirect(f"{server.base_url}{loop}" if absolute else loop))
    with pytest.raises(UnexpectedRedirectError, match="redirected more than 5 times") as caught:
        await connect().results.download(order_id, "SUMMARY_CHROMS", dest)
    assert server.count("GET", DOWNLOAD) == 6
    assert leftovers(dest) == []
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_five_redirects_are_followed(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(20_000)
    hop = f"{server.api_url}data/results/{new_id()}/download?result_type=SUMMARY_CHROMS"
    server.on("GET", DOWNLOAD, in_turn(*[redirect(hop)] * 5, serve_file(data)))
    path = await download_result(connect, dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 6


@pytest.mark.parametrize(
    "malformed",
    [
        False,
        True,
    ],
    ids=["to-itself", "malformed"],
)
async def test_api_call_never_follows_a_redirect(
    server: HostileServer, connect: Connect, malformed: bool
) -> None:
    location = "http://[::1/x" if malformed else f"{server.api_url}users/me"
    server.on("GET", "users/me", redirect(location))
    with pytest.raises(UnexpectedRedirectError, match="redirect") as caught:
        await connect().users.me()
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", "users/me") == 1


REFUSED_REDIRECTS = [
    pytest.param("file:///etc/passwd", r"not http\(s\)", id="file-scheme"),
    pytest.param("ftp://127.0.0.1/result.tsv", r"not http\(s\)", id="ftp-scheme"),
    pytest.param("", "without a Location", id="no-location"),
    # (The server's own password: the redactor does not know it, httpcore may log it.)
    pytest.param("http://someone:hunter2@127.0.0.1:9/x", "user name or password", id="userinfo"),
    pytest.param("http://[::1/x", "malformed", id="malformed"),
]


@pytest.mark.parametrize(("location", "fragment"), REFUSED_REDIRECTS)
async def test_download_redirect_the_sdk_will_not_follow_is_refused_at_once(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture,
    location: str, fragment: str,
) -> None:  # fmt: skip
    async def refused(request: Request, reply: Reply) -> None:
        await reply.send(302, b"", {"Location": location} if location else {})

    server.on("GET", DOWNLOAD, refused)
    with pytest.raises(UnexpectedRedirectError, match=fragment) as caught:
        await download_result(connect, dest)
    assert server.count("GET", DOWNLOAD) == 1
    assert leftovers(dest) == []
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_redirect_to_another_origin_mid_download_carries_no_credential(
    server: HostileServer, elsewhere: HostileServer, connect: Connect, dest: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    data = file_bytes(300_000)
    mirror = f"{elsewhere.api_url}data/results/{new_id()}/download?result_type=SUMMARY_CHROMS"
    server.on("GET", DOWNLOAD, in_turn(serve_file(data, cut_first_after=100_000), redirect(mirror)))
    elsewhere.on("GET", DOWNLOAD, serve_file(data))
    path = await download_result(connect, dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 2
    assert elsewhere.requests, "the resume never reached the other origin"
    for request in elsewhere.requests:
        assert "authorization" not in request.headers
        assert API_KEY.encode() not in request.head
    assert_no_canary(caplog.text)
