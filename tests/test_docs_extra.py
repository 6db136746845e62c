"""The ``[docs]`` extra alone builds the documentation site, as the README's command promises.

A copy of the source tree (a fresh clone, less git and caches) gives the project's wheel; a
virtualenv without system site-packages gets that wheel with ``[docs]`` and nothing else; then
``mkdocs build --strict`` runs in the copy with that venv's Python. uv builds the wheel and
installs it: the distributions the extra's metadata asks for, as pip would choose them, from
the cache the README's install filled (pip takes some 40 s to unpack the eighty of them, uv 3).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.clean_environment import run_clean

ROOT = Path(__file__).resolve().parent.parent
# What a clone does not have: the venv, git, caches, earlier builds and sites.
_NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "site",
    ".*_cache",
    ".hypothesis",
    "galatea-results",
    "benchmarks",
)


def _run(
    *args: str | Path, cwd: Path, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run_clean(*args, cwd=cwd, path=path, extra={"NO_MKDOCS_2_WARNING": "1"})


# The installs read the package index (when uv's cache of it is stale), and the build is
# seconds of work shared with the rest of the suite.
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_docs_extra_alone_builds_the_site(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=_NOT_SOURCE)
    wheels = tmp_path / "wheels"
    built = _run(
        find_uv_bin(), "build", "-q", "--system-certs", "--wheel", "--no-build-isolation",
        "--python", sys.executable, "--out-dir", wheels, clone, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("*.whl")

    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        find_uv_bin(), "pip", "install", "-q", "--system-certs", "--python", python,
        f"galatea-async[docs] @ {wheel.as_uri()}", cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    site = tmp_path / "site"
    build = _run(
        python, "-m", "mkdocs", "build", "--strict", "--site-dir", site,
        cwd=clone, path=venv / "bin",
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-4000:]
    assert "Traceback" not in build.stderr
    # mkdocstrings says so when neither Black nor Ruff is there to format signatures.
    assert "Formatting signatures requires" not in build.stderr
    assert (site / "cli" / "index.html").is_file()
    assert (site / "reference" / "models" / "index.html").is_file()
