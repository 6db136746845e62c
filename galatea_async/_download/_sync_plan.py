"""What a ``results.sync`` run does with each file it wants (pure): ``plan_sync``.

A journalled file still on disk with its journalled size (and, with ``verify``, its md5) is
kept without a request; a journalled file that is gone or differs is fetched again and
replaces what is there; a file the journal does not know is fetched, unless a complete copy
is already at its name (``skip_existing``); in an order folder that holds no file at all
there is nothing to keep, so it is fetched and placed without looking first. An item the
listing refused, or whose order's folder is refused, fails without a request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import attrs

from galatea_async._download._batch import DownloadRequest, item_key
from galatea_async._download._journal import JournalEntry
from galatea_async._download._order_folders import FolderState
from galatea_async._download._source import Listed
from galatea_async._download._target import Existing
from galatea_async._enums import ResultType
from galatea_async.errors import GalateaError

__all__ = [
    "SyncItem",
    "SyncPlan",
    "WaitingFile",
    "fetch_of",
    "order_slices",
    "plan_sync",
    "waiting_file",
]

# A file to fetch, as plain values for as long as it waits for its download: the collector
# stops tracking a tuple of str, int and None, so a long wait never puts it in the oldest
# generation for every full collection to walk. Order id, result type, PDF report id, listed
# size and md5, and what is done with a file already at its name.
WaitingFile = tuple[str, str, str | None, int | None, str | None, str]


@attrs.frozen
class SyncItem:
    """One file a sync wants: a result of an order, or one of its PDF reports (with the
    size and md5 the API lists for it); ``refusal`` when the listing made it unusable.

    Its ``key`` in the journal is computed once; its ``DownloadRequest`` is built only for a
    file that is fetched or reported, not for each file a rerun keeps.
    """

    order_id: str
    result_type: ResultType
    pdf_request_id: str | None = None
    expected_size: int | None = None
    expected_md5: str | None = None
    refusal: GalateaError | None = None
    key: str = attrs.field(init=False)

    @key.default
    def _key(self) -> str:
        return item_key(self.order_id, self.result_type, self.pdf_request_id)

    @property
    def request(self) -> DownloadRequest:
        """The file as a download request."""
        return DownloadRequest(
            order_id=self.order_id,
            result_type=self.result_type,
            pdf_request_id=self.pdf_request_id,
        )

    @property
    def listed(self) -> Listed:
        """What the listing says the file is, for the download to verify."""
        return Listed(size=self.expected_size, md5=self.expected_md5)


@attrs.frozen
class SyncPlan:
    """What a run does: items kept as they are, items fetched with their policy, and items
    that fail without a request."""

    kept: list[tuple[SyncItem, JournalEntry]]
    fetched: list[tuple[SyncItem, Existing]]
    failed: list[tuple[SyncItem, GalateaError]] = attrs.field(factory=list)


def plan_sync(
    items: Sequence[SyncItem],
    journal: Mapping[str, JournalEntry],
    folders: Mapping[str, FolderState],
    hashes: Mapping[str, str | None] | None = None,
) -> SyncPlan:
    """Which items need a request, and whether what is at their name may be kept or replaced.

    ``journal`` holds the items' journalled entries, ``folders`` what each order's folder was
    found to hold (an order missing there holds nothing to keep). With ``verify``, ``hashes``
    holds the md5 of each journalled file now (None for one that could not be hashed): a file
    is kept only when it matches its entry.
    """
    kept: list[tuple[SyncItem, JournalEntry]] = []
    fetched: list[tuple[SyncItem, Existing]] = []
    failed: list[tuple[SyncItem, GalateaError]] = []
    for item in items:
        folder = folders.get(item.order_id)
        refusal = item.refusal or (folder.refusal if folder else None)
        if refusal is not None:
            failed.append((item, refusal))
            continue
        entry = journal.get(item.key)
        if entry is None:
            empty = folder is not None and not folder.files
            fetched.append((item, Existing.REPLACE if empty else Existing.SKIP_IF_COMPLETE))
            continue
        # An entry counts only as <order_id>/<name> in the item's own order's folder.
        order, _, name = entry.path.partition("/")
        size = folder.files.get(name) if folder is not None and order == item.order_id else None
        if size == entry.size and (hashes is None or hashes.get(item.key) == entry.md5):
            kept.append((item, entry))
        else:
            fetched.append((item, Existing.REPLACE))  # gone, truncated or changed: replace
    return SyncPlan(kept=kept, fetched=fetched, failed=failed)


def order_slices(items: Sequence[SyncItem], size: int) -> Iterator[Sequence[SyncItem]]:
    """``items`` in slices of about ``size``, an order's items never split (an order with
    more items than ``size`` is a slice of its own)."""
    start = 0
    while start < len(items):
        end = min(start + size, len(items))
        while end < len(items) and items[end].order_id == items[end - 1].order_id:
            end += 1
        yield items[start:end]
        start = end


def waiting_file(item: SyncItem, existing: Existing) -> WaitingFile:
    """A file to fetch as plain values (``fetch_of`` reads them back)."""
    return (
        item.order_id,
        item.result_type.value,
        item.pdf_request_id,
        item.expected_size,
        item.expected_md5,
        existing.value,
    )


def fetch_of(waiting: WaitingFile) -> tuple[DownloadRequest, Listed, Existing]:
    """What a waiting file's download needs: its request, what the listing says of it, and
    what is done with a file already at its name."""
    order_id, result_type, pdf_request_id, size, md5, existing = waiting
    request = DownloadRequest(
        order_id=order_id, result_type=ResultType(result_type), pdf_request_id=pdf_request_id
    )
    return request, Listed(size=size, md5=md5), Existing(existing)
