"""The pytest plugin in plain (non-async) tests: the emulator is served from a thread, so a
blocking client and the ``galatea`` command reach it as async tests do.

Each test writes a user's test file and runs pytest on it with pytester, as
tests/test_pytest_plugin.py does.
"""

from __future__ import annotations

import pytest

from tests.test_pytest_plugin import USER_RUN

pytest_plugins = ["pytester"]

PLAIN_TESTS = """
import json
import os
import subprocess
import sys

import httpx
import pytest


def test_a_blocking_client_reaches_the_emulator(galatea_emulator):
    order_id = galatea_emulator.add_order(status="Running")
    galatea_emulator.clock.advance(3600)
    with httpx.Client(
        base_url=galatea_emulator.base_url,
        headers={"Authorization": f"Bearer {galatea_emulator.api_key}"},
        timeout=10,
    ) as api:
        assert api.get("/api/v1/users/me").json()["email"] == galatea_emulator.email
        listed = api.get("/api/v1/exec/orders", params={"filter": order_id}).json()
    assert [order["status"] for order in listed["results"]] == ["Completed"]


def test_the_galatea_command_reaches_the_emulator(galatea_emulator, tmp_path):
    environment = {
        **os.environ,
        "GALATEA_BASE_URL": galatea_emulator.base_url,
        "GALATEA_API_KEY": galatea_emulator.api_key,
        "GALATEA_CONFIG": str(tmp_path / "none.toml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "galatea_async.cli", "--json", "tags", "list"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Cohort A" in done.stdout


@pytest.mark.galatea_emulator(empty=True)
def test_the_marker_chooses_the_world(galatea_emulator):
    response = httpx.get(
        f"{galatea_emulator.base_url}/api/v1/exec/tags",
        headers={"Authorization": f"Bearer {galatea_emulator.api_key}"},
        timeout=10,
    )
    assert response.json()["count"] == 0


def test_the_async_client_is_refused_with_what_to_use(galatea_client):
    pass
"""


@pytest.mark.slow
def test_plain_tests_use_the_served_emulator_under_pytest_asyncio(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_plain=PLAIN_TESTS)
    result = pytester.runpytest_subprocess(*USER_RUN)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*galatea_client is an AsyncGalatea*async test*base_url*"])


def test_plain_tests_need_no_async_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN_TESTS)
    result = pytester.runpytest_subprocess(*USER_RUN, "-p", "no:asyncio", "-k", "blocking_client")
    result.assert_outcomes(passed=1)
