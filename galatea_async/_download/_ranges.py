"""Pure decisions of the download engine: what a response promises, how to resume or split,
and whether an encoded body may be decoded.

No I/O here (hishel's rule): the engine asks these functions what to do and does it. Every
function takes status codes, header values and sizes, and returns plain data.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import overload

import attrs

from galatea_async._http._headers import (
    etag_is_strong,
    parse_content_disposition,
    parse_content_range,
)

__all__ = [
    "MAX_ANNOUNCED_SIZE",
    "AbsurdSize",
    "BodyInfo",
    "Decoding",
    "PartPlan",
    "Resumption",
    "covers_whole_file",
    "decoding_for",
    "describe_range",
    "describe_response",
    "judge_part",
    "judge_resumed",
    "part_headers",
    "plan_parts",
    "resume_headers",
    "should_split",
]


@attrs.frozen
class BodyInfo:
    """What one response says about the file it carries."""

    status: int
    # The offset of the first byte this response carries (0 for a 200).
    start: int
    # How many bytes this response carries, when it says.
    length: int | None
    # The complete file's size, when known.
    total: int | None
    # What ``If-Range`` may carry: a strong ETag, else Last-Modified, else None.
    validator: str | None
    accepts_ranges: bool
    # The Content-Encoding, lower case ("identity" when none): sizes describe encoded bytes.
    encoding: str
    # The name Content-Disposition gives, unsanitised.
    server_name: str | None

    @property
    def encoded(self) -> bool:
        """Whether the body is encoded (so its sizes are not the file's)."""
        return self.encoding != "identity"


# No file comes near an exbibyte: a larger announced size is a broken or hostile header, and
# planning, reserving or even comparing against it must not start.
MAX_ANNOUNCED_SIZE = 1 << 60
_LENGTH = re.compile(r"[0-9]+")


class AbsurdSize(ValueError):
    """A size header announces more than ``MAX_ANNOUNCED_SIZE`` bytes; ``header`` names it."""

    def __init__(self, header: str) -> None:
        super().__init__(header)
        self.header = header


def _parse_length(value: str | None) -> int | None:
    text = value.strip() if value is not None else ""
    if not _LENGTH.fullmatch(text):
        return None
    if len(text) > len(str(MAX_ANNOUNCED_SIZE)) or int(text) > MAX_ANNOUNCED_SIZE:
        raise AbsurdSize("Content-Length")
    return int(text)


def describe_response(status: int, headers: Mapping[str, str]) -> BodyInfo:
    """The ``BodyInfo`` of a 200 or 206 response, from its status and (case-insensitive) headers.

    ``AbsurdSize`` if Content-Length or Content-Range announces more than
    ``MAX_ANNOUNCED_SIZE`` bytes.
    """
    length = _parse_length(headers.get("content-length"))
    encoding = (headers.get("content-encoding") or "").strip().lower() or "identity"
    etag = headers.get("etag")
    validator = etag.strip() if etag is not None and etag_is_strong(etag) else None
    if validator is None:
        validator = headers.get("last-modified")
    accepts_ranges = "bytes" in (headers.get("accept-ranges") or "").lower()
    start, total = 0, length
    if status == 206:
        content_range = parse_content_range(headers.get("content-range"))
        accepts_ranges = True
        if content_range is None:
            start, total = -1, None  # a 206 we cannot place: judged unusable
        else:
            first, last, total = content_range
            if max(last, total or 0) > MAX_ANNOUNCED_SIZE:
                raise AbsurdSize("Content-Range")
            start = first
            if length is None:
                length = last - first + 1
    return BodyInfo(
        status=status,
        start=start,
        length=length,
        total=None if encoding != "identity" else total,
        validator=validator,
        accepts_ranges=accepts_ranges,
        encoding=encoding,
        server_name=parse_content_disposition(headers.get("content-disposition")),
    )


def covers_whole_file(info: BodyInfo) -> bool:
    """Whether an answer to a request without ``Range`` carries the whole file.

    A 200 does; a 206 only as ``bytes 0-(N-1)/N``. Any other 206 is a part: written from byte 0
    it would splice the file, so it is a broken answer.
    """
    if info.status == 200:
        return True
    return (
        info.status == 206
        and info.start == 0
        and info.total is not None
        and info.length == info.total
    )


def describe_range(info: BodyInfo) -> str:
    """The part a 206 carries, as ``bytes a-b/N`` rebuilt from what was parsed (never raw)."""
    if info.start < 0 or info.length is None:
        return "a Content-Range the SDK cannot read"
    total = "*" if info.total is None else str(info.total)
    return f"Content-Range bytes {info.start}-{info.start + info.length - 1}/{total}"


def resume_headers(first: BodyInfo, offset: int) -> dict[str, str] | None:
    """The headers asking for the rest of the file from ``offset``, or None to start over.

    Only a server that advertises byte ranges is asked. ``If-Range`` carries the validator so
    that a file changed in between comes back whole (a 200) instead of spliced; a server that
    sends no validator is asked plainly, and its answer must then name the same total size.
    """
    if not first.accepts_ranges or first.encoded or offset <= 0:
        return None
    headers = {"Range": f"bytes={offset}-"}
    if first.validator is not None:
        headers["If-Range"] = first.validator
    return headers


class Resumption(enum.Enum):
    """What to do with the answer to a resume request."""

    APPEND = "append"  # a 206 from exactly where we stopped: keep the bytes on disk
    RESTART = "restart"  # a 200: the whole file again, from byte 0
    REOPEN = "reopen"  # anything else: discard it and ask for the whole file


def judge_resumed(first: BodyInfo, resumed: BodyInfo, offset: int) -> Resumption:
    """Whether the answer to ``Range: bytes=offset-`` continues the file we were writing.

    A 200 is never appended: it is the whole file again.
    """
    if resumed.status == 200:
        return Resumption.RESTART
    if (
        resumed.status == 206
        and _same_version(first.validator, resumed.validator)
        and resumed.start == offset
        and resumed.total is not None
        and resumed.total == first.total
        and not resumed.encoded
    ):
        return Resumption.APPEND
    return Resumption.REOPEN


def should_split(first: BodyInfo, *, threshold: int, part_size: int) -> bool:
    """Whether to fetch the rest of this file as parallel ranged parts.

    Only a complete (200), unencoded file above ``threshold`` from a server that advertises
    ranges and gives a validator (so every part is provably of the same version).
    """
    return (
        first.status == 200
        and first.accepts_ranges
        and first.validator is not None
        and not first.encoded
        and first.total is not None
        and first.total > max(threshold, part_size)
    )


@attrs.frozen
class PartPlan(Sequence[tuple[int, int]]):
    """``[start, end)`` byte ranges covering ``total`` bytes, each at most ``part_size``.

    Computed on demand: a server announcing a huge size costs nothing here, whatever the
    number of parts it implies.
    """

    total: int
    part_size: int

    def __len__(self) -> int:
        return -(-self.total // self.part_size)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int] | Sequence[tuple[int, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("part index out of range")
        start = index * self.part_size
        return start, min(self.total, start + self.part_size)


def plan_parts(total: int, part_size: int) -> PartPlan:
    """The parts of a ``total``-byte file, each at most ``part_size`` (planned lazily)."""
    if part_size < 1:
        raise ValueError(f"part_size must be at least 1, got {part_size}")
    return PartPlan(total, part_size)


def part_headers(start: int, end: int, validator: str) -> dict[str, str]:
    """The headers asking for bytes ``[start, end)`` of the version ``validator`` names."""
    return {"Range": f"bytes={start}-{end - 1}", "If-Range": validator}


def judge_part(answer: BodyInfo, start: int, end: int, total: int, validator: str) -> bool:
    """Whether ``answer`` is exactly bytes ``[start, end)`` of the same ``total``-byte file,
    the version ``validator`` names."""
    return (
        answer.status == 206
        and _same_version(validator, answer.validator)
        and answer.start == start
        and answer.total == total
        and (answer.length is None or answer.length == end - start)
        and not answer.encoded
    )


def _same_version(asked: str | None, answered: str | None) -> bool:
    # A server that ignores If-Range may answer a 206 of a newer version; its validator tells.
    # An answer without one (some servers omit it on a 206) is taken at its word.
    return asked is None or answered is None or asked == answered


class Decoding(enum.Enum):
    """What to do with a body's Content-Encoding."""

    NONE = "identity"  # the bytes are the file
    DECODE = "decode"  # gzip or deflate (stacked or not), capped at the listed size
    REFUSE_UNKNOWN_SIZE = "unknown size"  # no listed size to cap the decoded output at
    REFUSE_ENCODING = "unsupported"  # an encoding the SDK does not decode


_DECODABLE = frozenset({"gzip", "x-gzip", "deflate", "identity"})


def decoding_for(info: BodyInfo, expected_size: int | None) -> Decoding:
    """Whether an encoded body may be decoded.

    The SDK asks for ``identity``; a server may encode anyway. A few bytes of gzip can decode
    to gigabytes, so a body is decoded only when the caller knows the file's size from the API
    (PDF reports and source files list it): the decoded output is then capped at that size.
    Otherwise, and for encodings other than gzip and deflate, it is refused.
    """
    if not info.encoded:
        return Decoding.NONE
    codings = [part.strip() for part in info.encoding.split(",") if part.strip()]
    if not codings or not all(coding in _DECODABLE for coding in codings):
        return Decoding.REFUSE_ENCODING
    if expected_size is None:
        return Decoding.REFUSE_UNKNOWN_SIZE
    return Decoding.DECODE
