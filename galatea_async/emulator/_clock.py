"""The emulator's clock: manual for tests, or emulated time running faster than real time."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

__all__ = ["Clock"]


class Clock:
    """Emulated UTC time that every life cycle, token expiry and timestamp reads.

    With ``time_scale=None`` the clock stands still until :meth:`advance` moves it, so tests
    decide exactly when a file validates or an order completes. With a ``time_scale`` (say
    ``60.0``) emulated time runs that many times faster than real time, for demos.
    """

    def __init__(self, *, time_scale: float | None = None, start: datetime | None = None) -> None:
        if time_scale is not None and time_scale <= 0:
            raise ValueError("time_scale must be positive or None")
        if start is None:
            start = datetime.now(timezone.utc).replace(microsecond=0)
        elif start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        self._start = start.astimezone(timezone.utc)
        self._offset = 0.0
        self._time_scale = time_scale
        self._real_origin = time.monotonic()

    @property
    def time_scale(self) -> float | None:
        """How many emulated seconds pass per real second; ``None`` for a manual clock."""
        return self._time_scale

    def elapsed(self) -> float:
        """Emulated seconds since the clock's start."""
        elapsed = self._offset
        if self._time_scale is not None:
            elapsed += (time.monotonic() - self._real_origin) * self._time_scale
        return elapsed

    def now(self) -> datetime:
        """The current emulated time, an aware UTC datetime."""
        return self._start + timedelta(seconds=self.elapsed())

    def advance(self, seconds: float) -> datetime:
        """Move emulated time forward by ``seconds``; returns the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()
