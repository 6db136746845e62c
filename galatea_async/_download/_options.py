"""How downloads move (``TransferOptions``), and how they report progress."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import attrs

__all__ = ["DEFAULT_OPTIONS", "Progress", "TransferOptions", "report"]

Progress = Callable[[int, "int | None"], object]
"""``progress(done_bytes, total_bytes_or_None)``; may be sync or return an awaitable."""


def _positive_seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


def _optional_positive_seconds(
    instance: object, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"{attribute.name} must be None (no bound) or a positive number of seconds, "
            f"got {value!r}"
        )


@attrs.frozen
class TransferOptions:
    """How downloads move: chunk size, when and how to split, resumes, speed floor, durability.

    - ``chunk_size``: bytes gathered per disk write; a file of at most this size is held in
      memory and written, synced and renamed in one step.
    - ``parallel_threshold``, ``part_size``, ``concurrency``: a file larger than the
      threshold, from a server with ranges and a validator, is fetched as ranged parts of
      ``part_size``, at most ``concurrency`` connections at once (within a batch, its parts
      only borrow the batch's free slots).
    - ``max_resume_attempts``: how many times a broken body is resumed (or restarted) before
      the download fails.
    - ``low_speed_limit``, ``low_speed_time``: a body averaging under ``low_speed_limit``
      bytes per second for ``low_speed_time`` seconds counts as broken (like curl's
      ``--speed-limit``/``--speed-time``), so a dripping server cannot hold a download
      forever; ``low_speed_limit=0`` turns the rule off.
    - ``max_time``: the most seconds one file may take, from its request to its rename,
      resumes included (like curl's ``--max-time``); past it the download fails with
      ``APITimeoutError`` and keeps nothing. ``None`` (the default): no bound, so a body that
      keeps above the low-speed floor may take as long as it needs. ``results.stream`` is paced
      by its reader and is not bounded by it.
    - ``fsync``: flush each file (and, once per directory, the renames) to disk before a
      download is reported done. ``False`` is faster, but a power cut may then leave an empty
      or partial file under the final name.
    """

    chunk_size: int = attrs.field(default=1 << 20, validator=attrs.validators.ge(1))
    parallel_threshold: int = attrs.field(default=64 << 20, validator=attrs.validators.ge(0))
    part_size: int = attrs.field(default=16 << 20, validator=attrs.validators.ge(1))
    max_resume_attempts: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    concurrency: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    low_speed_limit: int = attrs.field(default=1024, validator=attrs.validators.ge(0))
    low_speed_time: float = attrs.field(default=30.0, validator=_positive_seconds)
    max_time: float | None = attrs.field(default=None, validator=_optional_positive_seconds)
    fsync: bool = True


DEFAULT_OPTIONS = TransferOptions()


async def report(progress: Progress | None, done: int, total: int | None) -> None:
    """Call ``progress``, awaiting it if it returned an awaitable."""
    if progress is None:
        return
    result = progress(done, total)
    if inspect.isawaitable(result):
        await result
