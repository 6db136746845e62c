"""What bounds a request before its answer: the pool, connect and read timeouts, and the call's
deadline, each named in the error, on both transports.

A listening socket whose accept queue is full (one connection queued, never accepted) drops
every further connect attempt, so a connect to it neither succeeds nor fails: only a timeout
ends it. A raw server that reads a request and never answers holds a request at its headers.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from galatea_async import APITimeoutError, AsyncGalatea, RetryPolicy, TransferOptions
from tests.conftest import API_KEY
from tests.raw_http import RawServer, Request
from tests.transports import make_transport

pytestmark = pytest.mark.usefixtures("transport_kind")

ORDER_ID = str(uuid.uuid4())


@pytest.fixture
def unanswered_connects() -> Iterator[str]:
    """The base URL of a port where connects hang."""
    with socket.socket() as listener, socket.socket() as queued:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued.connect(("127.0.0.1", port))  # fills the accept queue
        yield f"http://127.0.0.1:{port}"


class Silent(RawServer):
    """Reads each request and never answers it."""

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.Event().wait()
        return False


async def test_a_connect_that_never_completes_is_a_connect_timeout(
    transport_kind: str, unanswered_connects: str
) -> None:
    transport = make_transport(transport_kind)
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectTimeout):
            await http.get(unanswered_connects + "/", timeout=httpx.Timeout(5.0, connect=0.2))


async def test_a_download_that_never_completes_its_connect_names_the_connect_timeout(
    transport_kind: str, unanswered_connects: str, tmp_path: Path
) -> None:
    async with AsyncGalatea(
        api_key=API_KEY,
        base_url=unanswered_connects,
        timeout=httpx.Timeout(5.0, connect=0.2),
        retry_policy=RetryPolicy(max_retries=0),
        transport=make_transport(transport_kind),
    ) as client:
        with pytest.raises(APITimeoutError, match="ConnectTimeout") as caught:
            await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert API_KEY not in str(caught.value)
    assert "the connect timeout is set with" in str(caught.value)


async def test_a_download_whose_headers_never_come_ends_at_the_deadline(
    transport_kind: str, tmp_path: Path
) -> None:
    async with (
        Silent() as server,
        AsyncGalatea(
            api_key=API_KEY,
            base_url=server.base_url,
            timeout=httpx.Timeout(30.0),
            deadline=0.3,
            transport=make_transport(transport_kind),
        ) as client,
    ):
        with pytest.raises(APITimeoutError, match="deadline"):
            await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("deadline", "max_time", "named"),
    [(0.3, 30.0, "deadline"), (30.0, 0.3, "TransferOptions.max_time")],
)
async def test_the_sooner_of_the_deadline_and_max_time_ends_a_download_and_is_named(
    transport_kind: str, tmp_path: Path, deadline: float, max_time: float, named: str
) -> None:
    async with (
        Silent() as server,
        AsyncGalatea(
            api_key=API_KEY,
            base_url=server.base_url,
            timeout=httpx.Timeout(30.0),
            deadline=deadline,
            transfer_options=TransferOptions(max_time=max_time),
            transport=make_transport(transport_kind),
        ) as client,
    ):
        with pytest.raises(APITimeoutError, match=named):
            await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
        # The client is still usable: nothing of the cancelled request is left behind.
        with pytest.raises(APITimeoutError, match=named):
            await client.results.download(ORDER_ID, "SUMMARY_CHROMS", tmp_path)
