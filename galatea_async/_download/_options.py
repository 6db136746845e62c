"""How downloads move (``TransferOptions``), and how they report progress."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import attrs

from galatea_async._validation import check_count

__all__ = ["DEFAULT_OPTIONS", "Progress", "TransferOptions", "report"]

Progress = Callable[[int, "int | None"], object]
"""``progress(done_bytes, total_bytes_or_None)``; may be sync or return an awaitable."""


def _positive_seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


def _count(minimum: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        check_count(value, attribute.name, minimum)

    return check


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
    - ``fsync``: flush each file (and, once per directory, the renames) to disk before a
      download is reported done. ``False`` is faster, but a power cut may then leave an empty
      or partial file under the final name.
    """

    chunk_size: int = attrs.field(default=1 << 20, validator=_count(1))
    parallel_threshold: int = attrs.field(default=64 << 20, validator=_count(0))
    part_size: int = attrs.field(default=16 << 20, validator=_count(1))
    max_resume_attempts: int = attrs.field(default=3, validator=_count(0))
    concurrency: int = attrs.field(default=8, validator=_count(1))
    low_speed_limit: int = attrs.field(default=1024, validator=_count(0))
    low_speed_time: float = attrs.field(default=30.0, validator=_positive_seconds)
    fsync: bool = True


DEFAULT_OPTIONS = TransferOptions()


async def report(progress: Progress | None, done: int, total: int | None) -> None:
    """Call ``progress``, awaiting it if it returned an awaitable."""
    if progress is None:
        return
    result = progress(done, total)
    if inspect.isawaitable(result):
        await result
