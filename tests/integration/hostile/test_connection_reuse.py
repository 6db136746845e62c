"""A response never answers the wrong request.

Bytes a server sends beyond the announced ``Content-Length``, or on an idle kept-alive
connection outside any request/response exchange, are not the answer to anything: the
connection that carried them is closed, never used for the next request, on both transports.
Whether the extra answer arrives in the same read as the real one or later (on the idle
connection) depends on the loopback; both are covered by the same rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from galatea_async import ResultType
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import HostileServer, Reply, Request, head

SMUGGLED = {"smuggled": True}


def _answer(value: object) -> bytes:
    body = json.dumps(value).encode()
    return head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body


def answer_and_smuggle(value: object, *, separately: bool) -> object:
    """Answers ``value``, and sends a second, unrequested answer on the same connection:
    in the same write, or in a write of its own once the first has been sent."""

    async def script(request: Request, reply: Reply) -> None:
        if separately:
            await reply.raw(_answer(value))
            await reply.raw(_answer(SMUGGLED))
        else:
            await reply.raw(_answer(value) + _answer(SMUGGLED))

    return script


def honest(value: object) -> object:
    async def script(request: Request, reply: Reply) -> None:
        await reply.raw(_answer(value))

    return script


@pytest.mark.parametrize("separately", [False, True], ids=["same-write", "pushed-after"])
async def test_an_extra_answer_is_never_taken_for_the_next_call(
    server: HostileServer, connect: Connect, separately: bool
) -> None:
    first, second = new_id(), new_id()
    server.on(
        "GET", f"data/results/{first}/json", answer_and_smuggle({"n": 1}, separately=separately)
    )  # type: ignore[arg-type]
    server.on("GET", f"data/results/{second}/json", honest({"n": 2}))  # type: ignore[arg-type]
    client = connect()
    assert await client.results.json(first) == {"n": 1}
    assert await client.results.json(second) == {"n": 2}
    assert await client.results.json(second) == {"n": 2}
    assert server.count("GET", f"data/results/{second}/json") == 2


async def test_a_download_never_saves_another_requests_answer(
    server: HostileServer, connect: Connect, tmp_path: Path
) -> None:
    first, second = new_id(), new_id()
    route = "data/results/{}/download"
    server.on("GET", route.format(first), answer_and_smuggle({"file": 1}, separately=False))  # type: ignore[arg-type]
    server.on("GET", route.format(second), honest({"file": 2}))  # type: ignore[arg-type]
    client = connect()
    one = await client.results.download(first, ResultType.SUMMARY_CHROMS, tmp_path / "1/")
    two = await client.results.download(second, ResultType.SUMMARY_CHROMS, tmp_path / "2/")
    assert json.loads(one.read_bytes()) == {"file": 1}
    assert json.loads(two.read_bytes()) == {"file": 2}
    assert server.count("GET", route.format(second)) == 1


async def test_an_answer_pushed_on_an_idle_connection_is_never_taken_for_the_next_call(
    server: HostileServer, connect: Connect
) -> None:
    first, second = new_id(), new_id()
    idle: list[Reply] = []

    async def answer_and_stay(request: Request, reply: Reply) -> None:
        await reply.raw(_answer({"n": 1}))
        idle.append(reply)

    server.on("GET", f"data/results/{first}/json", answer_and_stay)
    server.on("GET", f"data/results/{second}/json", honest({"n": 2}))  # type: ignore[arg-type]
    client = connect()
    assert await client.results.json(first) == {"n": 1}
    # The first call's connection is idle in the client's pool: the server pushes an answer.
    await idle[0].raw(_answer(SMUGGLED))
    assert await client.results.json(second) == {"n": 2}
    assert server.count("GET", f"data/results/{second}/json") == 1
