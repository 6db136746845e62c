"""The pytest plugin (galatea_async.testing), run the way a user's project runs it.

Each test writes a user's test file that uses only the plugin's fixtures and runs pytest on
it with pytester, under pytest-asyncio (auto and strict modes) and under anyio's plugin. The
example tests of docs/guides/testing.md run the same way.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
# How the user's pytest runs: quiet, no cache, and without hypothesis's plugin (installed for
# this suite's own tests, it costs every run a second of start-up).
USER_RUN = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)

# A user's tests: the fixtures work, a failing assertion fails, the markers choose the world.
USER_TESTS = """
import pytest

from galatea_async import AsyncGalatea, NotFoundError
from galatea_async.testing import ServedEmulator

{mark}
async def test_demo_world_over_tcp(galatea_client: AsyncGalatea, galatea_emulator: ServedEmulator) -> None:
    assert galatea_emulator.base_url.startswith("http://127.0.0.1:")
    assert str(galatea_client.base_url).startswith(galatea_emulator.base_url)
    completed = [o async for o in galatea_client.orders.list(status_group="completed")]
    assert len(completed) >= 30
    added = galatea_emulator.add_file("added-by-the-test.txt")
    assert (await galatea_client.files.get(added["id"])).src_file_name == "added-by-the-test.txt"


{mark}
async def test_clock_and_faults(galatea_client: AsyncGalatea, galatea_emulator: ServedEmulator) -> None:
    order_id = galatea_emulator.add_order(status="Running")
    galatea_emulator.clock.advance(3600)
    galatea_emulator.faults.fail_next(1, 503, path="exec/orders")
    assert (await galatea_client.orders.get(order_id)).status == "Completed"


{mark}
@pytest.mark.galatea_emulator(empty=True)
async def test_empty_world(galatea_client: AsyncGalatea) -> None:
    assert [o async for o in galatea_client.orders.list()] == []
    with pytest.raises(NotFoundError):
        await galatea_client.files.get("8f14e45f-ceea-467f-a9b8-1a2b3c4d5e6f")


{mark}
@pytest.mark.parametrize("galatea_emulator", [{{"empty": True}}], indirect=True)
async def test_empty_world_by_parameter(galatea_emulator: ServedEmulator) -> None:
    assert galatea_emulator.state.orders == {{}}


{mark}
async def test_a_failing_assertion_fails(galatea_client: AsyncGalatea) -> None:
    me = await galatea_client.users.me()
    assert me.email == "somebody-else@example.com"


@pytest.mark.galatea_emulator(colour="blue")
async def test_unknown_options_are_named(galatea_emulator: ServedEmulator) -> None:
    pass
"""

# The same two tests in every mode: one passes through both fixtures, one fails as written.
EVERY_MODE_TESTS = """
import pytest

{mark}
async def test_clock_and_faults(galatea_client, galatea_emulator):
    order_id = galatea_emulator.add_order(status="Running")
    galatea_emulator.clock.advance(3600)
    galatea_emulator.faults.fail_next(1, 503, path="exec/orders")
    assert (await galatea_client.orders.get(order_id)).status == "Completed"


{mark}
async def test_a_failing_assertion_fails(galatea_client):
    me = await galatea_client.users.me()
    assert me.email == "somebody-else@example.com"
"""

LOOP_SCOPE = "asyncio_default_fixture_loop_scope = function\n"
# pytest-asyncio's strict mode is where projects mix plugins: one run holds a file per way.
STRICT_MODE_MARKS = {
    "test_asyncio_marked": "@pytest.mark.asyncio",
    "test_asyncio_module_loop": '@pytest.mark.asyncio(loop_scope="module")',
    "test_anyio_marked": "@pytest.mark.anyio",
}

ANYIO_ON_ASYNCIO = """
import pytest

@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
"""


def guide_examples() -> tuple[str, int]:
    """The testing guide's example tests as one module, and how many tests it holds."""
    guide = (ROOT / "docs" / "guides" / "testing.md").read_text(encoding="utf-8")
    blocks = [block for block in PYTHON_BLOCK.findall(guide) if "def test_" in block]
    parametrized = 1  # test_both_worlds runs twice
    return "\n\n".join(blocks), sum(b.count("def test_") for b in blocks) + parametrized


@pytest.mark.slow
def test_a_users_tests_pass_and_fail_as_written(pytester: pytest.Pytester) -> None:
    guide_module, guide_tests = guide_examples()
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\n{LOOP_SCOPE}")
    pytester.makepyfile(test_user=USER_TESTS.format(mark=""), test_guide=guide_module)
    result = pytester.runpytest_subprocess(*USER_RUN)
    result.assert_outcomes(passed=4 + guide_tests, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*galatea_emulator options*colour*", "*somebody-else@example.com*"]
    )


def test_the_fixtures_work_in_strict_mode_under_either_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = strict\n{LOOP_SCOPE}")
    pytester.makeconftest(ANYIO_ON_ASYNCIO)
    for name, mark in STRICT_MODE_MARKS.items():
        pytester.makepyfile(**{name: EVERY_MODE_TESTS.format(mark=mark)})
    result = pytester.runpytest_subprocess(*USER_RUN)
    result.assert_outcomes(passed=3, failed=3)
    for name in STRICT_MODE_MARKS:
        result.stdout.fnmatch_lines([f"FAILED {name}.py::test_a_failing_assertion_fails*"])


ON_TRIO = """
import pytest

pytest.importorskip("trio")


@pytest.fixture
def anyio_backend() -> str:
    return "trio"


@pytest.mark.anyio
async def test_on_trio(galatea_client):
    pass
"""


def test_the_fixtures_work_under_anyio_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ANYIO_ON_ASYNCIO)
    pytester.makepyfile(
        test_user=EVERY_MODE_TESTS.format(mark="@pytest.mark.anyio"), test_trio=ON_TRIO
    )
    result = pytester.runpytest_subprocess(*USER_RUN, "-p", "no:asyncio")
    # On trio the fixtures cannot serve (uvicorn needs asyncio): the error says what to do.
    if importlib.util.find_spec("trio") is None:
        result.assert_outcomes(passed=1, failed=1, skipped=1)
    else:
        result.assert_outcomes(passed=1, failed=1, errors=1)
        result.stdout.fnmatch_lines(["*needs asyncio, not trio*ASGITransport*"])
    result.stdout.fnmatch_lines(["*somebody-else@example.com*"])


def test_without_the_emulator_extra_only_the_fixtures_fail(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nasyncio_mode = auto\n{LOOP_SCOPE}")
    pytester.makepyfile(
        test_user="""
        def test_unrelated():
            assert 1 + 1 == 2

        async def test_wants_the_emulator(galatea_emulator):
            pass
        """
    )
    # starlette cannot be imported, as in an install without the extra; the plugin still loads.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["starlette"] = None
        import pytest
        sys.exit(pytest.main(USER_RUN))
        """
    ).replace("USER_RUN", repr(list(USER_RUN)))
    result = pytester.run(sys.executable, "-c", script)
    result.assert_outcomes(passed=1, errors=1)
    assert "pip install 'galatea-async[emulator]'" in result.stdout.str()
