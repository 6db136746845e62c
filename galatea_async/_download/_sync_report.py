"""``SyncReport``: what a ``results.sync`` run did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from galatea_async._download._batch import DownloadOutcome

__all__ = ["SyncReport"]


@attrs.frozen
class SyncReport:
    """What a ``results.sync`` run did.

    :ivar downloaded: The files fetched.
    :ivar skipped: The files already complete (from the journal, or a complete copy found at
        their name).
    :ivar failed: The items that failed; each outcome holds its error.
    :ivar downloaded_bytes: The sizes of the files fetched, added up.
    :ivar skipped_bytes: The sizes of the files already complete, added up.
    :ivar seconds: How long the whole run took, listing included.
    """

    downloaded: Sequence[DownloadOutcome]
    skipped: Sequence[DownloadOutcome]
    failed: list[DownloadOutcome]
    downloaded_bytes: int
    skipped_bytes: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every file is there."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each list's outcomes (``DownloadOutcome.to_dict``), totals and seconds."""
        return {
            "downloaded": [outcome.to_dict() for outcome in self.downloaded],
            "skipped": [outcome.to_dict() for outcome in self.skipped],
            "failed": [outcome.to_dict() for outcome in self.failed],
            "downloaded_bytes": self.downloaded_bytes,
            "skipped_bytes": self.skipped_bytes,
            "seconds": self.seconds,
        }
