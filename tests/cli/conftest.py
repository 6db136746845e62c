"""CLI test fixtures: the demo emulator served over TCP from a background thread.

Each CLI command calls ``anyio.run`` itself, so the emulator cannot share the test's event
loop: it runs in a blocking portal's thread, and commands (in-process through click's
runner, or as real subprocesses) reach it over 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import attrs
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from click.testing import CliRunner, Result

from galatea_async.cli import cli
from galatea_async.emulator import Emulator

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


@attrs.define
class ServedEmulator:
    """A running demo emulator and how to drive the CLI against it."""

    base_url: str
    emulator: Emulator
    portal: BlockingPortal
    config: Path

    def in_loop(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in the emulator's thread (its state is not thread-safe)."""

        async def call() -> T:
            return function(*args)

        return self.portal.call(call)

    def invoke(
        self,
        *args: str,
        input: str | None = None,
        credentials: bool = True,
        env: dict[str, str] | None = None,
    ) -> Result:
        """Run ``galatea <args>`` in-process against the emulator (``env``: extra variables)."""
        prefix = ["--config", str(self.config), "--base-url", self.base_url]
        if credentials:
            prefix += ["--api-key", self.emulator.api_key]
        return CliRunner().invoke(
            cli, [*prefix, *args], input=input, catch_exceptions=False, env=env
        )

    def environment(self) -> dict[str, str]:
        """Environment variables for a subprocess run against the emulator."""
        # GALATEA_TRANSPORT passes through: ``transport_kind`` sets it for the test.
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GALATEA_") or key == "GALATEA_TRANSPORT"
        }
        environment.update(
            GALATEA_BASE_URL=self.base_url,
            GALATEA_API_KEY=self.emulator.api_key,
            GALATEA_CONFIG=str(self.config),
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        return environment

    def download_requests(self) -> list[str]:
        """``<order_id>/<RESULT_TYPE>`` of every result download the emulator has answered."""
        records = self.in_loop(lambda: list(self.emulator.requests))
        found = []
        for record in records:
            if record.method == "GET" and record.path.endswith("/download"):
                parts = record.path.strip("/").split("/")
                if parts[-4:-2] == ["data", "results"]:
                    query = dict(parse_qsl(record.query))
                    found.append(f"{parts[-2]}/{query.get('result_type', '')}")
        return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedEmulator]:
    """A fresh demo emulator on 127.0.0.1, with a config file path of the test's own."""
    emulator = Emulator.demo()
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator.serve(port=0)) as base_url,
    ):
        yield ServedEmulator(
            base_url=base_url, emulator=emulator, portal=portal, config=tmp_path / "config.toml"
        )


def run_galatea(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m galatea_async.cli <args>`` as a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "galatea_async.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
