"""Where ``serve`` listens: the URL it yields, and the error for an address it cannot take."""

from __future__ import annotations

import errno
import socket

import httpx
import pytest

from galatea_async.emulator import Emulator


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="this machine has no IPv6 loopback")
async def test_an_ipv6_host_gives_a_bracketed_url_that_answers(emulator: Emulator) -> None:
    async with emulator.serve(host="::1") as base_url:
        assert base_url.startswith("http://[::1]:")
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{base_url}/api/v1/users/me",
                headers={"Authorization": f"Bearer {emulator.api_key}"},
            )
    assert response.status_code == 200


async def test_a_port_in_use_raises_oserror_with_its_errno(emulator: Emulator) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="cannot listen on") as raised:
            async with emulator.serve(port=port):
                pass
    assert raised.value.errno == errno.EADDRINUSE
    assert f"cannot listen on 127.0.0.1:{port}" in str(raised.value)
