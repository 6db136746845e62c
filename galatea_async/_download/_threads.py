"""The engine's way to blocking disk work: ``galatea_async._threads`` (shared with the request
path)."""

from __future__ import annotations

from galatea_async._threads import MAX_DISK_THREADS, fsync_together, run_blocking

__all__ = ["MAX_DISK_THREADS", "fsync_together", "run_blocking"]
