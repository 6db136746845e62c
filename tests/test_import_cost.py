"""``import galatea_async`` leaves out what the SDK never uses: httpx's command-line client
(click, rich and pygments, which the ``cli`` and ``all`` extras install), while ``httpx.main``
still runs that client when called."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

_CLI_MODULES = ("click", "rich", "pygments")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_the_sdk_does_not_import_httpxs_command_line_client() -> None:
    if any(importlib.util.find_spec(name) is None for name in _CLI_MODULES):
        pytest.skip("click, rich or pygments is not installed: httpx would not import them")
    probe = _run(
        "import json, sys, galatea_async\n"
        f"print(json.dumps([m for m in {_CLI_MODULES!r} if m in sys.modules]))"
    )
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == []


def test_httpx_main_still_runs_httpxs_command_line_client_after_the_sdk_is_imported() -> None:
    if any(importlib.util.find_spec(name) is None for name in _CLI_MODULES):
        pytest.skip("click, rich or pygments is not installed: httpx has no command line")
    probe = _run("import galatea_async, httpx\nhttpx.main(['--help'])")
    assert probe.returncode == 0, probe.stderr
    assert "Usage: httpx" in probe.stdout


def test_an_application_that_imported_httpx_first_keeps_it_as_it_was() -> None:
    probe = _run("import httpx\nmain = httpx.main\nimport galatea_async\nprint(httpx.main is main)")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "True"
