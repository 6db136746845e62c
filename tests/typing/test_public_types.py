"""The public surface under ``mypy --strict``: types that narrow, and typos caught.

mypy runs once (one process, both files) with the project's settings; ``public_surface.py``
must check clean, and every line of ``misuses.py`` marked ``# error: TEXT`` must be an error
whose message contains TEXT, with no error anywhere else.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SURFACE = HERE / "public_surface.py"
MISUSES = HERE / "misuses.py"
_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")
_EXPECTED = re.compile(r"#\s*error(?P<pending>-pending)?:\s*(?P<text>.+?)\s*$")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], list[str]]:
    """mypy's errors on both files, by (file name, line)."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    done = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
            "--cache-dir", str(cache), "--config-file", str(ROOT / "pyproject.toml"),
            str(SURFACE), str(MISUSES),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    found: dict[tuple[str, int], list[str]] = {}
    for line in done.stdout.splitlines():
        matched = _ERROR.match(line)
        if matched:
            key = (Path(matched["path"]).name, int(matched["line"]))
            found.setdefault(key, []).append(matched["message"])
    return found


@pytest.mark.slow
def test_the_public_surface_checks_clean_under_strict(
    mypy_errors: dict[tuple[str, int], list[str]],
) -> None:
    errors = {key: messages for key, messages in mypy_errors.items() if key[0] == SURFACE.name}
    assert errors == {}


def _expected_errors() -> list[tuple[int, str, bool]]:
    """(line, text, pending) for each marked line of misuses.py (its code, not its docstring)."""
    lines = MISUSES.read_text().splitlines()
    code_starts = next(n for n, line in enumerate(lines, start=1) if line.startswith("async def"))
    return [
        (number, matched["text"], bool(matched["pending"]))
        for number, line in enumerate(lines, start=1)
        if number >= code_starts and (matched := _EXPECTED.search(line))
    ]


EXPECTED = _expected_errors()
_PENDING = pytest.mark.xfail(
    strict=True, reason="the typing this line checks has not landed on this branch yet"
)


@pytest.mark.parametrize(
    ("line", "text"),
    [
        pytest.param(line, text, id=f"misuses.py:{line}", marks=[_PENDING] if pending else [])
        for line, text, pending in EXPECTED
    ],
)
def test_a_misuse_is_a_type_error(
    mypy_errors: dict[tuple[str, int], list[str]], line: int, text: str
) -> None:
    messages = mypy_errors.get((MISUSES.name, line), [])
    assert any(text in message for message in messages), messages


def test_no_error_where_none_is_expected(mypy_errors: dict[tuple[str, int], list[str]]) -> None:
    expected = {line for line, _, _ in EXPECTED}
    stray = {
        key: messages
        for key, messages in mypy_errors.items()
        if key[0] == MISUSES.name and key[1] not in expected
    }
    assert stray == {}
