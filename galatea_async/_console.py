"""The ``galatea`` console script: the CLI, or one line naming the extra it needs.

The script's entry point lives outside ``galatea_async.cli`` because importing that package
needs click and rich, which only the ``cli`` extra installs; here nothing is imported until
they are known to be there.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["CLI_MODULES", "main", "missing_cli_extra"]

# The modules the ``cli`` extra brings (pyproject.toml's optional-dependencies).
CLI_MODULES = ("click", "rich")


def missing_cli_extra() -> str | None:
    """What to install when the CLI's modules are missing (one sentence), else ``None``."""
    missing = [name for name in CLI_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the galatea command needs {' and '.join(missing)}, which the cli extra installs: "
        "pip install 'galatea-async[cli]'"
    )


def main() -> None:
    """Run ``galatea``; without the ``cli`` extra, say how to install it and exit 2."""
    problem = missing_cli_extra()
    if problem is not None:
        sys.stderr.write(f"error: {problem}\n")
        raise SystemExit(2)
    from galatea_async.cli import main as galatea

    galatea()
