"""The one download engine behind results, PDF reports, source files, batches and sync.

Pure decisions (no I/O, hishel-style):
    _target.py   where a file lands (``Destination``) and what happens to one already there
    _names.py    safe file names from the server's, and the fallback names
    _ranges.py   what a response promises; resume, split and decoding rules
    _reports.py  PDF reports in batches: the listed report each item names
    _wants.py    ``SyncWants``: what a sync asks for, from the orders and report listings
    _journal_rules.py  what the sync journal trusts, and its rows as values
(Decoding itself, capped, is the request path's ``_decoding.py``, shared with API calls.)
The I/O, top-down:
    _source.py   ``DownloadSource``: builds every job (API path, listed size and md5, tracing,
                 fallback name) and runs single downloads and result batches
    _folders.py  the folders downloads write into, created one way, off the event loop
    _job.py      ``DownloadJob`` (one download, decided) and ``Downloaded`` (what it left): values
    _engine.py   ``download_file(job)``: one download, small (one hop) or large (streamed/split)
    _open_response.py  the open response; answers that are not the file are refused here
    _reader.py   ``BodyReader``: a body's blocks and the one resume/restart rule
    _blocks.py   ``BlockGatherer``: pieces into blocks, the speed floor, the memory bound
    _parts.py    ranged parts of a large file, in parallel, on borrowed connection slots
    _files.py    temporary files, whole-or-nothing placement, fsync of files and folders
    _partials.py partials kept for the next run, their sidecars, stale-temporary cleanup
    _space.py    whether a file fits on its file system, before anything is written
    _batch.py    ``stream_downloads``/``run_downloads``: many at once, groups taken as they
                 come, one fsync per directory, several directories per thread hop
    _seat.py     ``Seat``: a download's connection slot in a batch, given back once its body is in
    _claims.py   ``NameClaims``: one item per final name in a batch, decided in batch order
    _confinement.py  ids that may become paths (pure), folders checked to be inside ``dest``
    _stream.py   ``StreamedDownload``: a body read chunk by chunk by the caller
    _sync_plan.py  ``plan_sync``: which files a sync keeps, fetches or refuses (pure)
    _order_folders.py  an order's folder made, or opened by descriptor and read once
    _folder_lock.py  ``locked_folder``: one sync at a time into a folder, its journal loaded
    _sync.py     ``results.sync``: a locked folder mirrors orders' results as pages arrive
    _journal.py  that journal: an SQLite store of finished files, read by key or path
    _journal_file.py   its database file: regular, its own, checked or set aside
    _journal_connection.py  the open database: one caller at a time, commits in batches
    _journal_legacy.py the earlier versions' JSON-lines journal, imported once, bounded
    _sync_outcomes.py  ``SyncReport``, whose outcomes are read back from the journal
"""

from galatea_async._download._batch import (
    BatchProgress,
    DownloadOutcome,
    DownloadRequest,
    FileProgress,
    request_key,
    run_downloads,
)
from galatea_async._download._engine import download_file
from galatea_async._download._files import prepare_destination
from galatea_async._download._folder_lock import locked_folder
from galatea_async._download._job import DownloadJob
from galatea_async._download._options import TransferOptions
from galatea_async._download._source import DownloadSource
from galatea_async._download._stream import StreamedDownload, open_download
from galatea_async._download._sync_outcomes import SyncReport
from galatea_async._download._target import existing_policy
from galatea_async._download._wants import SyncWants

__all__ = [
    "BatchProgress",
    "DownloadJob",
    "DownloadOutcome",
    "DownloadRequest",
    "DownloadSource",
    "FileProgress",
    "StreamedDownload",
    "SyncReport",
    "SyncWants",
    "TransferOptions",
    "download_file",
    "existing_policy",
    "locked_folder",
    "open_download",
    "prepare_destination",
    "request_key",
    "run_downloads",
]
