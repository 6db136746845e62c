"""Without the emulator extra, ``galatea emulator`` and ``galatea demo`` name what is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# starlette cannot be imported, as in an install without the extra.
WITHOUT_STARLETTE = textwrap.dedent(
    """
    import sys
    sys.modules["starlette"] = None
    from galatea_async.cli import main
    main(sys.argv[1:])
    """
)


@pytest.mark.parametrize("command", [["emulator", "--port", "0"], ["demo"]])
def test_the_missing_package_is_named(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_STARLETTE, *command],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: the emulator needs its extra (missing: starlette)")
    assert "None" not in done.stderr
    assert "pip install 'galatea-async[emulator]'" in done.stderr
