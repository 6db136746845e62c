"""The ``galatea`` command's event loop and garbage collector, set for a command-line process.

Both are process-wide, so only the command sets them; the library runs on whatever loop its
application runs and never touches the collector.

- The loop is uvloop when it is installed (the ``speed`` extra: less CPU per downloaded
  file), else asyncio's own. ``GALATEA_LOOP=asyncio`` asks for asyncio's loop
  even so, and ``GALATEA_LOOP=uvloop`` insists on uvloop.
- The objects alive once the command has started (modules, classes, functions: about 50,000)
  go into the collector's permanent generation (``gc.freeze``), so the full collections a
  long transfer triggers walk only what the transfer made: tens of milliseconds less each,
  during which the loop would run nothing.
"""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LOOP_VARIABLE",
    "LoopChoiceError",
    "freeze_startup_objects",
    "loop_options",
    "uvloop_installed",
]

LOOP_VARIABLE = "GALATEA_LOOP"
_CHOICES = ("uvloop", "asyncio")


class LoopChoiceError(ValueError):
    """``GALATEA_LOOP`` names no loop this process can run; the message says what to do."""


def loop_options(environ: Mapping[str, str], *, uvloop_installed: bool) -> dict[str, Any]:
    """``anyio.run``'s asyncio backend options for the loop ``environ`` asks for.

    Without ``GALATEA_LOOP``: uvloop when installed, else asyncio's loop.
    """
    asked = environ.get(LOOP_VARIABLE, "").strip().lower()
    if asked and asked not in _CHOICES:
        raise LoopChoiceError(
            f"{LOOP_VARIABLE}={asked!r} is not a loop: use 'uvloop' (the default when "
            "installed) or 'asyncio'"
        )
    if asked == "uvloop" and not uvloop_installed:
        raise LoopChoiceError(
            f"{LOOP_VARIABLE}=uvloop, but uvloop is not installed: "
            "pip install 'galatea-async[speed]', or unset the variable"
        )
    return {"use_uvloop": uvloop_installed and asked != "asyncio"}


def uvloop_installed() -> bool:
    """Whether uvloop can be imported (it is not imported here)."""
    return importlib.util.find_spec("uvloop") is not None


def freeze_startup_objects() -> None:
    """Leave every object alive now out of later garbage collections (``gc.freeze``)."""
    gc.freeze()
