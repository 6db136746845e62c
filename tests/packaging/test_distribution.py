"""The built sdist and wheel, installed as a user would: clean venv, no editable install.

One sdist and one wheel (built from that sdist, as ``python -m build`` does) for the module;
``twine check`` passes on both; the wheel goes into a venv without extras, where ``galatea``
and ``galatea_async.emulator`` name the extra they need, then ``[cli,emulator]`` is added and
a smoke run drives the installed SDK against the installed emulator over 127.0.0.1. uv
builds and installs, as ``python -m build`` and pip would, from the cache the README's install
filled: seconds where pip takes half a minute.
"""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import attrs
import pytest
from uv import find_uv_bin

from tests.clean_environment import run_clean

ROOT = Path(__file__).resolve().parents[2]
# What never goes into a build: the venv, git, caches, earlier builds.
_NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    ".*_cache",
    ".hypothesis",
    "galatea-results",
    "benchmarks",
)


# The builds and installs of the module's fixtures take seconds.
pytestmark = pytest.mark.slow


@attrs.frozen
class Distributions:
    sdist: Path
    wheel: Path


@attrs.frozen
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def run(self, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """A command of the venv, outside the source tree and without its PYTHONPATH."""
        return run_clean(*args, cwd=cwd, path=self.path / "bin")

    def install(self, requirement: str, *, cwd: Path) -> None:
        done = self.run(
            find_uv_bin(), "pip", "install", "-q", "--system-certs", "--python", self.python,
            requirement, cwd=cwd,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist, and the wheel built from it, of a copy of the source tree."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    out = work / "dist"
    built = _run(
        find_uv_bin(), "build", "-q", "--system-certs", "--no-build-isolation",
        "--python", sys.executable, "--out-dir", out, source, cwd=work,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Distributions(sdist=sdist, wheel=wheel)


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory outside the source tree (so ``import`` finds the installed copy)."""
    return tmp_path_factory.mktemp("user")


@pytest.fixture(scope="module")
def base_venv(
    distributions: Distributions, tmp_path_factory: pytest.TempPathFactory, user_dir: Path
) -> Venv:
    """A fresh venv with the wheel installed and no extras."""
    venv = Venv(tmp_path_factory.mktemp("venv") / "base")
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv.path, cwd=user_dir)
    assert made.returncode == 0, made.stderr
    venv.install(str(distributions.wheel), cwd=user_dir)
    return venv


def test_twine_check_passes_on_the_sdist_and_the_wheel(distributions: Distributions) -> None:
    checked = _run(
        sys.executable,
        "-m",
        "twine",
        "check",
        "--strict",
        distributions.sdist,
        distributions.wheel,
        cwd=distributions.wheel.parent,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(archive.read(name).decode())


def test_the_wheel_carries_the_license_and_its_metadata(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheel) as archive:
        names = archive.namelist()
        (license_name,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(license_name).startswith(b"MIT License")
        assert "galatea_async/py.typed" in names
    metadata = _wheel_metadata(distributions.wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    # No upper cap: the package installs on every Python from 3.10 on.
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata.get_all("Project-URL")


def test_the_sdist_has_the_license_and_no_partial_test_tree(distributions: Distributions) -> None:
    with tarfile.open(distributions.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "galatea_async/py.typed"} <= names
    # The suite needs the emulator, the docs, the examples and the vendor client: it lives in
    # the repository, and the sdist ships none of it rather than a part that cannot run.
    assert not [name for name in names if name.startswith("tests/")]


def test_without_extras_the_galatea_command_names_the_cli_extra(
    base_venv: Venv, user_dir: Path
) -> None:
    done = base_venv.run(base_venv.path / "bin" / "galatea", "--help", cwd=user_dir)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'galatea-async[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_extras_the_emulator_import_names_its_extra(
    base_venv: Venv, user_dir: Path
) -> None:
    done = base_venv.run(
        base_venv.python, "-c", "from galatea_async.emulator import Emulator", cwd=user_dir
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ")
    assert "pip install 'galatea-async[emulator]'" in last


SMOKE = textwrap.dedent(
    """
    import sys
    import anyio
    import galatea_async
    from galatea_async import AsyncGalatea
    from galatea_async.emulator import Emulator

    assert "site-packages" in galatea_async.__file__, galatea_async.__file__

    async def main() -> None:
        emulator = Emulator.demo(time_scale=None)
        async with emulator.serve() as base_url, AsyncGalatea(
            api_key=emulator.api_key, base_url=base_url
        ) as client:
            assert (await client.users.me()).email == emulator.email
            orders = [o async for o in client.orders.list(status_group="completed", limit=3)]
            for order in orders:
                path = await client.results.download(
                    order.id, order.result_types[0], dest=f"out/{order.id}/"
                )
                assert path.stat().st_size > 0
        print("smoke ok", len(orders), galatea_async.__version__)

    anyio.run(main)
    """
)


def test_the_installed_wheel_with_extras_drives_its_emulator(
    base_venv: Venv, distributions: Distributions, user_dir: Path
) -> None:
    base_venv.install(f"galatea-async[cli,emulator] @ {distributions.wheel.as_uri()}", cwd=user_dir)
    smoke = base_venv.run(base_venv.python, "-c", SMOKE, cwd=user_dir)
    assert smoke.returncode == 0, smoke.stderr
    assert smoke.stdout.startswith("smoke ok 3 ")
    version = base_venv.run(base_venv.path / "bin" / "galatea", "--version", cwd=user_dir)
    assert version.returncode == 0, version.stderr
    assert "0.1.0" in version.stdout
