"""Decode an API answer's ``Content-Encoding`` ourselves, with a cap on decoded bytes.

httpx's decoders inflate a whole chunk before anyone can count it: 6 KB of nested gzip on the
wire can become a 3.5 GB allocation. Here every stage inflates with zlib's
``max_length``, so no stage ever produces more than the cap allows (plus one byte, to know it
was exceeded): peak memory stays near the cap whatever the compression ratio.

API calls ask for ``Accept-Encoding: gzip, deflate``; ``gzip`` (also ``x-gzip``), ``deflate``
(zlib-wrapped, or raw as some servers send it) and ``identity`` are decoded, in any chain.
Anything else, and a body that claims an encoding it does not have, is refused.

Pure: bytes in, bytes out; the request path maps the errors to ``InvalidResponseError``.
"""

from __future__ import annotations

import zlib

__all__ = ["BodyTooLarge", "BoundedDecoder", "ContentDecodingError"]

_GZIP = "gzip"
# The most one inflate call produces.
_STEP = 1 << 20
_DEFLATE = "deflate"
_NAMES = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": _DEFLATE}


class ContentDecodingError(ValueError):
    """The body's encoding is one we do not decode, or the body is not what it claims."""


class BodyTooLarge(ContentDecodingError):
    """The body (decoded) grew past the cap."""


class _Stage:
    """One ``Content-Encoding`` layer, inflated incrementally under a cap."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.produced = 0
        self._fresh = True  # nothing decoded yet: a deflate body's wrapper is still unknown
        self._head = b""  # the first bytes, kept while fresh to start over as raw deflate
        self._raw_deflate = False
        self._inflater = self._new()

    def _new(self) -> zlib._Decompress:
        if self.coding == _GZIP:
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def _not_encoded(self) -> ContentDecodingError:
        return ContentDecodingError(f"the body claims {self.coding} but is not")

    def feed(self, data: bytes, limit: int) -> list[bytes]:
        """The pieces ``data`` inflates to; ``BodyTooLarge`` past ``limit`` in all."""
        out: list[bytes] = []
        while data:
            room = limit - self.produced
            try:
                # At most one step at a time: zlib's buffer for one call peaks at twice its
                # output, so small steps keep the peak near what is kept.
                piece = self._inflater.decompress(data, min(room + 1, _STEP))
            except zlib.error:
                if self.coding == _DEFLATE and self._fresh and not self._raw_deflate:
                    # "deflate" without the zlib wrapper (what some servers send): start over
                    # as raw deflate from the first byte.
                    self._raw_deflate = True
                    self._inflater = self._new()
                    data, self._head = self._head + data, b""
                    continue
                raise self._not_encoded() from None
            if self._fresh:
                # The zlib header is two bytes: once past them, the wrapper is settled.
                self._head += data[: 2 - len(self._head)]
                self._fresh = len(self._head) < 2 and not piece
            self.produced += len(piece)
            if self.produced > limit:
                raise BodyTooLarge(f"more than {limit} bytes once decoded")
            if piece:
                out.append(piece)
            if self._inflater.eof:
                # Bytes after the end: another gzip member, or junk that is not gzip.
                data = self._inflater.unused_data
                if data:
                    if self.coding != _GZIP:
                        raise self._not_encoded()
                    self._inflater = self._new()
            else:
                data = self._inflater.unconsumed_tail
        return out

    def finish(self, limit: int) -> bytes:
        """What is left once the body has ended; the stream must be complete."""
        if self._fresh and not self._head:
            return b""  # an empty body: nothing was encoded
        tail = self._inflater.flush()
        self.produced += len(tail)
        if self.produced > limit:
            raise BodyTooLarge(f"more than {limit} bytes once decoded")
        if not self._inflater.eof:
            raise ContentDecodingError(
                f"the body claims {self.coding} but its {self.coding} stream is cut short"
            )
        return tail


def _compressed_bound(size: int) -> int:
    """The largest a gzip or deflate stream of ``size`` bytes can be (stored blocks)."""
    return size + 5 * (size // 65535 + 1) + 1024


class BoundedDecoder:
    """Turns a body's wire bytes into its decoded bytes, at most ``limit`` of them.

    ``content_encoding`` is the header's value (``None`` or ``identity`` for none). The
    constructor raises ``ContentDecodingError`` for an encoding it does not decode; ``feed``
    and ``finish`` raise ``BodyTooLarge`` past ``limit`` decoded bytes and
    ``ContentDecodingError`` for a body that is not what it claims.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [
            part.strip().lower() for part in (content_encoding or "").split(",") if part.strip()
        ]
        stages: list[_Stage] = []
        for coding in reversed(codings):  # the last applied is the first to undo
            if coding == "identity":
                continue
            name = _NAMES.get(coding)
            if name is None:
                shown = coding[:40].encode("ascii", "replace").decode("ascii")
                raise ContentDecodingError(
                    f"the body is {shown!r}-encoded, which the SDK does not decode "
                    "(it asks for gzip or deflate)"
                )
            stages.append(_Stage(name))
        self.limit = limit
        # An inner layer's output is the next layer's compressed input, which for data that does
        # not compress is a little larger than the data: at most 5 bytes per 64 KiB stored
        # block, plus headers. Only the last layer is held to ``limit`` exactly.
        self._limits = [_compressed_bound(limit)] * (len(stages) - 1) + [limit] if stages else []
        self.encoded = bool(stages)
        self.size = 0  # decoded bytes so far
        self._stages = stages

    def feed(self, data: bytes) -> list[bytes]:
        """The decoded pieces of the next wire bytes ``data``."""
        pieces = [data] if data else []
        for stage, limit in zip(self._stages, self._limits, strict=True):
            pieces = [out for piece in pieces for out in stage.feed(piece, limit)]
        self._count(pieces)
        return pieces

    def finish(self) -> list[bytes]:
        """The last decoded pieces, once the body has ended."""
        pieces: list[bytes] = []
        for stage, limit in zip(self._stages, self._limits, strict=True):
            pieces = [out for piece in pieces for out in stage.feed(piece, limit)]
            tail = stage.finish(limit)
            if tail:
                pieces.append(tail)
        self._count(pieces)
        return pieces

    def _count(self, pieces: list[bytes]) -> None:
        self.size += sum(map(len, pieces))
        if self.size > self.limit:
            raise BodyTooLarge(f"more than {self.limit} bytes")
