"""The one progress callback type of downloads, uploads and SFTP, and how it is called."""

from __future__ import annotations

import inspect
from collections.abc import Callable

__all__ = ["Progress", "call_progress"]

Progress = Callable[[int, "int | None"], object]
"""``progress(done_bytes, total_bytes_or_None)``; a plain function or an ``async def``."""


async def call_progress(progress: Progress | None, done: int, total: int | None) -> None:
    """Call ``progress``, awaiting it if it returned an awaitable."""
    if progress is None:
        return
    result = progress(done, total)
    if inspect.isawaitable(result):
        await result
