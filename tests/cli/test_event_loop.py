"""The galatea command's loop (uvloop when installed) and its frozen start-up objects."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from galatea_async.cli._context import CommandFailed, run_async
from galatea_async.cli._loop import LoopChoiceError, loop_options, uvloop_installed


def test_uvloop_is_the_loop_when_installed() -> None:
    assert loop_options({}, uvloop_installed=True) == {"use_uvloop": True}


def test_asyncio_is_the_loop_without_uvloop() -> None:
    assert loop_options({}, uvloop_installed=False) == {"use_uvloop": False}


def test_galatea_loop_asyncio_keeps_asyncio_even_with_uvloop_installed() -> None:
    options = loop_options({"GALATEA_LOOP": " AsyncIO "}, uvloop_installed=True)
    assert options == {"use_uvloop": False}


def test_galatea_loop_uvloop_without_uvloop_names_the_extra() -> None:
    with pytest.raises(LoopChoiceError, match=r"galatea-async\[speed\]"):
        loop_options({"GALATEA_LOOP": "uvloop"}, uvloop_installed=False)


def test_an_unknown_galatea_loop_names_the_choices() -> None:
    with pytest.raises(LoopChoiceError, match=r"'uvloop'.*'asyncio'"):
        loop_options({"GALATEA_LOOP": "trio"}, uvloop_installed=True)


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(not uvloop_installed(), reason="uvloop (the speed extra) is not installed")
def test_commands_run_on_uvloop_when_installed() -> None:
    assert run_async(_loop_module).startswith("uvloop")


def test_commands_run_on_asyncio_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GALATEA_LOOP", "asyncio")
    assert run_async(_loop_module).startswith("asyncio")


def test_a_bad_galatea_loop_fails_the_command_as_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GALATEA_LOOP", "fastest")
    with pytest.raises(CommandFailed) as failed:
        run_async(_loop_module)
    assert failed.value.exit_code == 2
    assert "GALATEA_LOOP='fastest'" in failed.value.message


def test_the_command_freezes_its_start_up_objects() -> None:
    # In its own process: freezing is process-wide, and the test runner's must stay as it is.
    probe = (
        "import gc, sys\n"
        "from galatea_async.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_freeze_count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    frozen = int(done.stdout.split()[-1])
    assert frozen > 10_000  # the modules, classes and functions of start-up
