"""What the sync journal trusts, and how its rows become values (pure, no I/O).

A row of the journal says that a key's file is at a path relative to the folder; it counts only
when that path is the key's own file, ``<order_id>/<name>`` in the key's order folder
(``is_trusted_line``). The outcome rows of a run are read back the same way: a row that is not
its own request's file in its own order's folder is never turned into a path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import attrs

from galatea_async._download._batch import DownloadOutcome, DownloadRequest, request_key
from galatea_async._download._confinement import is_canonical_id
from galatea_async._download._names import is_one_component, name_key

__all__ = [
    "JournalEntry",
    "OutcomeRow",
    "is_recordable",
    "is_trusted_line",
    "outcome_of_row",
    "outcome_row",
    "path_hash",
]

MAX_TEXT = 1024  # the journal's bound on a key or path (a real one is under 400)

OutcomeRow = tuple[str, str, "str | None", str, int, "str | None"]
"""An outcome as the journal stores it: order id, result type, PDF report id, path relative to
the folder, size and md5."""


@attrs.frozen
class JournalEntry:
    """A finished file: where it is (relative to the folder), how big, and its md5."""

    path: str
    size: int
    md5: str


def is_trusted_line(key: str, path: str) -> bool:
    """Whether a row may say that ``key``'s file is at ``path``: ``<order_id>/<name>``, with
    the key's own order id and a single plain name (relative, normalised, inside ``dest``)."""
    order_id = key.partition("/")[0]
    folder, separator, name = path.partition("/")
    return (
        separator == "/"
        and folder == order_id
        and is_canonical_id(order_id)
        and is_one_component(name)
        and name == name.strip()
    )


def is_recordable(key: str, path: str, size: int, md5: str) -> bool:
    """Whether the journal may hold this row: trusted, a size, an md5 of at most 64 characters,
    and text that SQLite holds as it is (no lone surrogate)."""
    try:
        "".join((key, path, md5)).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return (
        is_trusted_line(key, path)
        and len(key) <= MAX_TEXT
        and len(path) <= MAX_TEXT
        and len(md5) <= 64
        and not isinstance(size, bool)
        and 0 <= size < 1 << 63
    )


def path_hash(relative: str) -> int:
    """A path's 64-bit hash as file systems compare names (``name_key``): the journal's
    index for "one path, one key" holds this rather than a second copy of every path (a
    collision, about 1 in 10^7 in a folder of a million files, costs a file fetched again)."""
    folded = name_key(relative).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(folded, digest_size=8).digest(), "big", signed=True)


def outcome_row(folder: Path, outcome: DownloadOutcome) -> OutcomeRow:
    """The row of a finished file's outcome; ``ValueError`` unless its file is
    ``folder/<order_id>/<name>`` with a size (where a sync puts every file)."""
    request, path = outcome.request, outcome.path
    if path is None or outcome.size is None or outcome.error is not None:
        raise ValueError(f"the outcome of {request_key(request)} has no file to record")
    relative = f"{request.order_id}/{path.name}"
    # Compared as text: both are pathlib's normal form, and parsing a path again costs more
    # than the rest of the row.
    placed = str(path) == os.path.join(str(folder), request.order_id, path.name)
    if not (placed and is_trusted_line(request_key(request), relative)):
        raise ValueError(f"{path} is not a place for {request_key(request)} in {folder}")
    return (
        request.order_id,
        request.result_type.value,
        request.pdf_request_id,
        relative,
        outcome.size,
        outcome.md5,
    )


def outcome_of_row(folder: Path, row: tuple[object, ...], skipped: bool) -> DownloadOutcome | None:
    """The outcome a stored row describes, or None when the row is not its own request's file
    in its own order's folder (a damaged or tampered journal)."""
    order_id, result_type, pdf_request_id, relative, size, md5 = row
    if not (
        isinstance(order_id, str)
        and isinstance(result_type, str)
        and (pdf_request_id is None or isinstance(pdf_request_id, str))
        and isinstance(relative, str)
        and isinstance(size, int)
        and (md5 is None or isinstance(md5, str))
    ):
        return None
    try:
        request = DownloadRequest(
            order_id=order_id, result_type=result_type, pdf_request_id=pdf_request_id
        )
    except (TypeError, ValueError):
        return None
    if not is_trusted_line(request_key(request), relative):
        return None
    return DownloadOutcome(
        request=request, path=folder / relative, skipped=skipped, size=size, md5=md5
    )
