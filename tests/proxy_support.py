"""A real forward proxy for the tests: proxy.py (PyPI, pure Python, maintained), in a
subprocess on 127.0.0.1, optionally requiring Basic credentials.

proxy.py rather than tinyproxy or mitmproxy: it installs with pip from the ``dev`` extra on
any machine with Python (no Debian package, no root), starts in well under a second, speaks
plain HTTP forwarding and ``CONNECT`` tunnels, and answers 407 to wrong credentials.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

PROXY_USER = "proxy-user"
PROXY_PASSWORD = "proxy-pa55-4-tests"  # a canary: never in any output


@attrs.frozen
class ForwardProxy:
    """A running proxy: its port, and its URL with or without credentials."""

    port: int
    log: Path

    def url(self, user: str | None = None, password: str | None = None) -> str:
        credentials = f"{user}:{password}@" if user is not None else ""
        return f"http://{credentials}127.0.0.1:{self.port}"


@contextmanager
def forward_proxy(directory: Path, *, basic_auth: bool) -> Iterator[ForwardProxy]:
    """proxy.py running until the block ends; with ``basic_auth``, only ``PROXY_USER`` and
    ``PROXY_PASSWORD`` pass."""
    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "port"
    # proxy.py writes its port once it listens: a FIFO hands it over without polling.
    os.mkfifo(port_file)
    log = directory / "proxy.log"
    command = [
        sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0",
        "--port-file", str(port_file), "--num-workers", "1", "--num-acceptors", "1",
        "--log-file", str(log), "--log-level", "INFO",
    ]  # fmt: skip
    if basic_auth:
        command += ["--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(port_file.read_text()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    try:
        if not found or not found[0].strip().isdigit():
            raise RuntimeError(f"proxy.py did not start: {log.read_text() if log.exists() else ''}")
        yield ForwardProxy(port=int(found[0].strip()), log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
