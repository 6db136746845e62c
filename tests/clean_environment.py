"""A command run as in a fresh shell: none of this run's PYTHONPATH, virtualenv or GALATEA_*
settings, optionally with a virtualenv's ``bin`` first on ``PATH``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


def run_clean(
    *args: str | Path,
    cwd: Path,
    path: Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``cwd`` without the settings of the process running the tests."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV") and not key.startswith("GALATEA_")
    }
    if path is not None:
        environment["PATH"] = f"{path}{os.pathsep}{environment.get('PATH', '')}"
    environment.update(extra or {})
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
