"""How downloads move: ``TransferOptions``."""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

from galatea_async._validation import check_count

__all__ = ["DEFAULT_OPTIONS", "TransferOptions"]


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


def _count(minimum: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        check_count(value, attribute.name, minimum)

    return check


@attrs.frozen
class TransferOptions:
    """How downloads move: chunk size, when and how to split, resumes, speed floor, durability.

    :param chunk_size: Bytes gathered per disk write (512 KiB); a file of at most this size is
        held in memory and written, synced and renamed in one step.
    :param parallel_threshold: Size in bytes (64 MiB) above which a file, from a server with
        ranges and a validator, is fetched as ranged parts in parallel; ``0`` splits every
        file the server allows.
    :param part_size: Bytes in one ranged part of a split file (16 MiB).
    :param max_resume_attempts: How many times a broken body is resumed (or restarted) before
        the download fails; ``0`` fails at the first break.
    :param concurrency: Connections one split file uses at once; within a batch its parts only
        borrow the batch's free slots.
    :param low_speed_limit: Bytes per second; a body averaging under it for
        ``low_speed_time`` seconds counts as broken and is resumed (like curl's
        ``--speed-limit``), so a dripping server cannot hold a download forever; ``0`` turns
        the rule off.
    :param low_speed_time: Seconds over which ``low_speed_limit`` is measured (like curl's
        ``--speed-time``).
    :param max_time: The most seconds one file may take, from its request to its rename,
        resumes included (like curl's ``--max-time``); past it the download fails with
        ``APITimeoutError`` (``results.sync`` keeps what arrived for its next run; other
        downloads keep nothing). ``None`` (the default) sets no bound.
        ``results.stream`` is paced by its reader and is not bounded by it.
    :param fsync: Flush each file (and, once per directory, the renames) to disk before a
        download is reported done. ``False`` is faster, but a power cut may then leave an
        empty or partial file under the final name.
    """

    chunk_size: int = attrs.field(default=1 << 19, validator=_count(1))
    parallel_threshold: int = attrs.field(default=64 << 20, validator=_count(0))
    part_size: int = attrs.field(default=16 << 20, validator=_count(1))
    max_resume_attempts: int = attrs.field(default=3, validator=_count(0))
    concurrency: int = attrs.field(default=8, validator=_count(1))
    low_speed_limit: int = attrs.field(default=1024, validator=_count(0))
    low_speed_time: float = attrs.field(default=30.0, validator=_positive_seconds)
    max_time: float | None = attrs.field(default=None, validator=_optional_positive_seconds)
    fsync: bool = True


DEFAULT_OPTIONS = TransferOptions()
