"""The log of a ``results.sync`` run that no one watches on a terminal (cron, CI, a pipe).

A line per fetched file as soon as it is durable or has failed, a progress line at least every
``PROGRESS_INTERVAL`` seconds while files are transferring, and the summary at the end; as
text, or with ``--jsonl`` as one JSON event per line (``file_done``, ``file_failed``,
``progress``, ``summary``). Every line is flushed as it is written, so a log file shows it
while the run goes on, and a run ended by SIGINT or SIGTERM has logged what it completed.

The events are built by pure functions (``file_event``, ``progress_event``, ``text_line``);
``SyncLog`` only counts, asks its clock whether a progress line is due, and writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import attrs

from galatea_async._download import DownloadOutcome, DownloadRequest, request_key
from galatea_async.cli._estimate import binary_size
from galatea_async.cli._output import Output, display_path

__all__ = [
    "PROGRESS_INTERVAL",
    "SyncCounts",
    "SyncLog",
    "failure",
    "file_event",
    "progress_event",
    "request_key",
    "text_line",
]

# The longest a long transfer goes without a line in the log.
PROGRESS_INTERVAL = 30.0

ErrorWords = Callable[[BaseException], str]


@attrs.frozen
class SyncCounts:
    """Where a run stands, for a progress line."""

    to_fetch: int = 0
    done: int = 0
    failed: int = 0
    received_bytes: int = 0


def failure(outcome: DownloadOutcome, words: ErrorWords) -> dict[str, str]:
    """A failed outcome's ``{"type", "message"}``, the message worded by ``words``."""
    error = outcome.error or RuntimeError("failed")
    return {"type": type(error).__name__, "message": words(error)}


def file_event(outcome: DownloadOutcome, words: ErrorWords) -> dict[str, Any]:
    """``file_done`` or ``file_failed``: the outcome's fields, the error worded by ``words``."""
    data = outcome.to_dict()
    if outcome.ok:
        return {"event": "file_done", **data}
    return {"event": "file_failed", **data, "error": failure(outcome, words)}


def progress_event(counts: SyncCounts, seconds: float) -> dict[str, Any]:
    """``progress``: files done, failed and to fetch, bytes received, seconds since the start."""
    return {
        "event": "progress",
        "files_done": counts.done,
        "files_failed": counts.failed,
        "files_to_fetch": counts.to_fetch,
        "received_bytes": counts.received_bytes,
        "seconds": round(seconds, 1),
    }


def text_line(event: dict[str, Any]) -> str:
    """The plain-text line of a ``file_done``, ``file_failed`` or ``progress`` event."""
    if event["event"] == "file_done":
        verb = "kept (already complete)" if event.get("skipped") else "downloaded"
        return f"{verb} {display_path(Path(event['path']))}"
    if event["event"] == "file_failed":
        key = f"{event['order_id']}/{event['result_type']}"
        if event.get("pdf_request_id"):
            key += f"/{event['pdf_request_id']}"
        return f"failed {key}: {event['error']['message']}"
    failed = f", {event['files_failed']} failed" if event["files_failed"] else ""
    return (
        f"progress: {event['files_done']} of {event['files_to_fetch']} files done{failed}, "
        f"{binary_size(event['received_bytes'])} received in {event['seconds']:.0f} s"
    )


class SyncLog:
    """``results.sync``'s ``file_progress`` and ``file_done``, written as a log."""

    def __init__(
        self,
        output: Output,
        words: ErrorWords,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self._output = output
        self._words = words
        self._clock = clock
        self._interval = interval
        self._started_at = clock()
        self._last_line_at = self._started_at
        self._counts = SyncCounts()
        self._received: dict[str, int] = {}

    def file_progress(self, request: DownloadRequest, done: int, total: int | None) -> None:
        """Bytes of one file; the first call for each file is ``results.sync`` announcing it
        (as pages arrive). Only the files to fetch are remembered, until they end."""
        key = request_key(request)
        if key not in self._received:
            if total is not None and done == total:
                return  # announced as already complete
            self._received[key] = 0
            self._counts = attrs.evolve(self._counts, to_fetch=self._counts.to_fetch + 1)
            return
        received = self._counts.received_bytes + done - self._received[key]
        self._received[key] = done
        self._counts = attrs.evolve(self._counts, received_bytes=received)
        self.tick()

    def file_done(self, outcome: DownloadOutcome) -> None:
        """A file durable or failed: its line, now."""
        event = file_event(outcome, self._words)
        self._received.pop(request_key(outcome.request), None)
        if outcome.ok:
            self._counts = attrs.evolve(self._counts, done=self._counts.done + 1)
        else:
            self._counts = attrs.evolve(self._counts, failed=self._counts.failed + 1)
        self._write(event)

    def tick(self) -> None:
        """A progress line, if files are still to come and none was written for a while."""
        now = self._clock()
        pending = self._counts.to_fetch - self._counts.done - self._counts.failed
        if pending > 0 and now - self._last_line_at >= self._interval:
            self._write(progress_event(self._counts, now - self._started_at))

    async def keep_ticking(self) -> None:
        """``tick`` for ever, so a stalled transfer still shows the run is alive."""
        while True:
            due = self._last_line_at + self._interval - self._clock()
            await anyio.sleep(due if due > 0 else self._interval)
            self.tick()

    def _write(self, event: dict[str, Any]) -> None:
        self._last_line_at = self._clock()
        output = self._output
        if output.json_lines:
            output.print_json_line(event)
        elif event["event"] == "file_failed":
            output.failure(text_line(event))
        else:
            output.message(text_line(event))
