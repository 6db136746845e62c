"""How long a ``wait_*`` call sleeps between polls: a pure schedule, and the sleeper around it.

A wait polls at once, then about ``FIRST_POLL_DELAY`` (1 s) later, and doubles the delay
after each poll up to the caller's ``poll_interval``, which it then keeps: a file validated in
2 s is seen within 3 s, and a day-long order still costs one poll per interval. Each delay
below the interval is jittered by up to a quarter either way, so many waiters started together
do not poll in step. A server that answers a poll with ``Retry-After`` (a 429 or 503 its
retries did not get past) is honoured: the next poll is never sooner than it asks. The
overall ``timeout`` stays the caller's rule: the schedule only says how long to sleep.
"""

from __future__ import annotations

import math
import random

import anyio

__all__ = [
    "BACKOFF_FACTOR",
    "FIRST_POLL_DELAY",
    "JITTER",
    "PollSleeper",
    "check_poll_interval",
    "poll_delay",
]

FIRST_POLL_DELAY = 1.0
BACKOFF_FACTOR = 2.0
# A delay below the interval is multiplied by a factor in [1 - JITTER, 1 + JITTER).
JITTER = 0.25
# Past this many doublings every interval a caller can mean is reached: no float overflow.
_MAX_DOUBLINGS = 64


def check_poll_interval(poll_interval: object) -> float:
    """``poll_interval`` as seconds; ``ValueError`` unless a positive finite number."""
    if (
        isinstance(poll_interval, bool)
        or not isinstance(poll_interval, (int, float))
        or not math.isfinite(poll_interval)
        or poll_interval <= 0
    ):
        raise ValueError(
            f"poll_interval must be a positive number of seconds, got {poll_interval!r}"
        )
    return float(poll_interval)


def poll_delay(
    polls_done: int, poll_interval: float, *, jitter: float, retry_after: float | None = None
) -> float:
    """Seconds to sleep after the ``polls_done``-th poll (1 after the first).

    ``jitter`` is a sample in [0, 1) (``random.random()``); ``retry_after`` the server's
    ``Retry-After`` in seconds, if the poll was answered with one.
    """
    doublings = min(max(polls_done - 1, 0), _MAX_DOUBLINGS)
    backoff = FIRST_POLL_DELAY * BACKOFF_FACTOR**doublings
    delay = poll_interval
    if backoff < poll_interval:
        delay = min(poll_interval, backoff * (1 - JITTER + 2 * JITTER * jitter))
    if retry_after is not None and math.isfinite(retry_after) and retry_after > delay:
        delay = retry_after
    return delay


class PollSleeper:
    """The sleeps of one wait: ``poll_delay`` with real jitter, counting the polls."""

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self.polls_done = 0

    async def sleep(self, retry_after: float | None = None) -> None:
        """Sleep until the next poll is due."""
        self.polls_done += 1
        await anyio.sleep(
            poll_delay(
                self.polls_done,
                self.poll_interval,
                jitter=random.random(),  # spreading polls, not a secret
                retry_after=retry_after,
            )
        )
