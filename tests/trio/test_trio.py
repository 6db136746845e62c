"""The SDK under trio: ``trio_journey.py`` in a pytest run of its own.

pytest-asyncio's auto mode (this suite's setting) claims every async test for asyncio, so the
journey runs without it (``-p no:asyncio``), on anyio's pytest plugin with the trio backend.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

JOURNEY = Path(__file__).with_name("trio_journey.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_journey_passes_under_trio() -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:asyncio", "-p", "no:cacheprovider",
            "-W", "ignore::pytest.PytestConfigWarning", "-q", str(JOURNEY),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " 4 passed" in done.stdout or done.stdout.rstrip().splitlines()[-1].startswith(
        "4 passed"
    ), done.stdout[-2000:]
