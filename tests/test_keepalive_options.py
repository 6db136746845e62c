"""Pooled connections carry TCP keepalive probes where the operating system has the options."""

from __future__ import annotations

import socket
import sys

import pytest

from galatea_async._http._network import keepalive_socket_options
from galatea_async._http._transport import _keepalive_socket


def test_the_options_ask_for_keepalive_after_60_s_every_60_s_5_probes() -> None:
    options = keepalive_socket_options()
    assert (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) in options
    if sys.platform == "linux":
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60) in options
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 60) in options
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5) in options


@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's option names back")
def test_the_aiohttp_socket_factory_sets_them() -> None:
    address = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 1))
    with _keepalive_socket(address) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 60
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 5
