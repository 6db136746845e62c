"""What a download was promised (the listed size and md5) against what its server sent (pure)."""

from __future__ import annotations

from typing import Any

from galatea_async._download._job import DownloadJob
from galatea_async._download._ranges import BodyInfo
from galatea_async.errors import ChecksumMismatchError, SizeMismatchError

__all__ = ["announced_limit", "verify"]


def announced_limit(job: DownloadJob, first: BodyInfo) -> int | None:
    """The most bytes the body may have; a server/caller size disagreement raises now."""
    expected = job.expected_size
    if expected is not None and first.total is not None and first.total != expected:
        raise SizeMismatchError(
            f"the server announced {first.total} bytes for {job.label}, expected {expected}; "
            "nothing was kept",
            expected=expected,
            actual=first.total,
        )
    return first.total if first.total is not None else expected


def verify(job: DownloadJob, *, size: int, digest: Any) -> None:
    """Raise ``SizeMismatchError`` or ``ChecksumMismatchError`` unless the finished body is
    what was promised."""
    if job.expected_size is not None and size != job.expected_size:
        raise SizeMismatchError(
            f"the download of {job.label} has {size} bytes, expected {job.expected_size}; "
            "nothing was kept",
            expected=job.expected_size,
            actual=size,
        )
    if job.expected_md5 is not None and digest is not None:
        actual = digest.hexdigest()
        if actual != job.expected_md5.strip().lower():
            raise ChecksumMismatchError(
                f"the md5 of {job.label} is {actual}, expected {job.expected_md5}; "
                "nothing was kept",
                expected=job.expected_md5,
                actual=actual,
            )
