"""What one download is (``DownloadJob``) and what it left on disk (``Downloaded``): values.

The public methods build a job once, from what they were given (``dest`` already decided into a
``Destination``); the engine (``download_file``) and the parts of a large file read it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import attrs

from galatea_async._download._options import DEFAULT_OPTIONS, TransferOptions
from galatea_async._download._target import Destination, Existing
from galatea_async._http._tracing import CallSpan, untraced
from galatea_async._http._wire import OpenStream
from galatea_async._progress import Progress

__all__ = ["DownloadJob", "Downloaded"]


@attrs.frozen
class DownloadJob:
    """Everything one download needs, decided by the public method that received ``dest``."""

    open_stream: OpenStream
    destination: Destination
    fallback_name: str
    existing: Existing = Existing.REFUSE
    expected_size: int | None = None  # the API's listed size, where it lists one
    expected_md5: str | None = None  # likewise its md5 check_sum
    want_md5: bool = False  # the finished file's md5 is wanted (a sync journal records it)
    # An interrupted download leaves its bytes for the next run, which resumes them
    # (``_partials.py``); otherwise nothing is left behind.
    keep_partial: bool = False
    # Whether a partial an earlier run kept may be there to resume (a sync that has just
    # scanned the folder knows when none is, and spares the look).
    partial_possible: bool = True
    options: TransferOptions = DEFAULT_OPTIONS
    progress: Progress | None = None
    # A trace span around the whole download (resumes and parts included); none by default.
    trace: Callable[[], AbstractContextManager[CallSpan]] = untraced

    @property
    def label(self) -> str:
        """How messages name this download."""
        return repr(self.fallback_name)


@attrs.frozen
class Downloaded:
    """A file the download left on disk: where, how big, its md5 if asked, and whether an
    existing complete copy was kept instead of downloading it again."""

    path: Path
    size: int
    md5: str | None = None
    skipped: bool = False
