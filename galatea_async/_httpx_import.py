"""``import httpx`` without its command-line client, which the SDK never uses.

httpx 0.28's ``__init__`` imports ``httpx._main`` whenever click, rich and pygments are
installed (the ``cli`` and ``all`` extras install them): about 5 MiB and a third of httpx's
import time. Imported here first, with ``httpx._main`` marked missing, httpx leaves it out;
``httpx.main`` then imports it when called, so httpx's own command still works. An
application that imported httpx before the SDK keeps it exactly as it was.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["import_httpx_without_its_command_line"]


def import_httpx_without_its_command_line() -> None:
    """Import httpx, its command-line client left for ``httpx.main`` to import when called."""
    if "httpx" in sys.modules:
        return
    # A ``None`` entry makes ``from ._main import main`` raise ImportError, which httpx
    # answers with a stand-in ``main``.
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        if sys.modules.get("httpx._main", ...) is None:
            del sys.modules["httpx._main"]
    stand_in = getattr(httpx, "main", None)
    if stand_in is None:
        return  # an httpx without a ``main``: nothing to stand in for

    def main(*args: Any, **kwargs: Any) -> Any:
        try:
            from httpx._main import main as command_line
        except ImportError:
            return stand_in(*args, **kwargs)  # httpx's own word: the cli extra is missing
        return command_line(*args, **kwargs)

    httpx.main = main  # type: ignore[assignment]  # a click command there; called the same way


import_httpx_without_its_command_line()
