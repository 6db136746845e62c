"""The direct path's errors (a request opened straight on the aiohttp session) carry the
request they failed, as the httpx path's do: the CLI names the host and port from it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from galatea_async._http._transport import AiohttpTransport


@pytest.fixture
def unanswered_connects() -> Iterator[str]:
    """The base URL of a port where connects hang (its accept queue is full)."""
    with socket.socket() as listener, socket.socket() as queued:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued.connect(("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}"


async def test_a_failed_connect_on_the_direct_path_names_the_request_it_failed(
    unanswered_connects: str,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/v1/users/me"
    transport = AiohttpTransport()
    try:
        with pytest.raises(httpx.ConnectError) as refused:
            await transport.open("GET", closed, headers={}, timeout=httpx.Timeout(5.0))
        with pytest.raises(httpx.ConnectTimeout) as timed_out:
            await transport.open(
                "GET", unanswered_connects + "/x", headers={}, timeout=httpx.Timeout(5, connect=0.2)
            )
    finally:
        await transport.aclose()
    assert str(refused.value.request.url) == closed
    assert refused.value.request.method == "GET"
    assert str(timed_out.value.request.url) == unanswered_connects + "/x"
