"""Content decoding under a hard output limit (pure computation, no I/O).

A few kilobytes of gzip can decode to gigabytes. ``BoundedDecoder`` decodes gzip or deflate
piece by piece, never producing more than ``limit`` bytes in all nor more than ``step`` bytes
per call, so memory stays bounded whatever the compression ratio; going past the limit raises
``DecodedTooLarge``, and a body that is not what it claims raises ``NotEncodedAsClaimed``.
"""

from __future__ import annotations

import zlib

__all__ = ["BoundedDecoder", "DecodedTooLarge", "NotEncodedAsClaimed"]


class DecodedTooLarge(Exception):
    """The decoded body would exceed its limit."""


class NotEncodedAsClaimed(Exception):
    """The body does not decode as the encoding it claims."""


class BoundedDecoder:
    """Decodes ``gzip`` or ``deflate`` (zlib-wrapped or raw) up to ``limit`` bytes in all."""

    def __init__(self, encoding: str, *, limit: int, step: int = 1 << 20) -> None:
        self._encoding = encoding
        self._limit = limit
        self._step = step
        self._produced = 0
        self._raw_deflate_tried = False
        # 16 + MAX_WBITS: a gzip header and trailer; MAX_WBITS: zlib's (deflate as RFC 9110
        # means it); raw deflate (-MAX_WBITS), which some servers send, is tried on failure.
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits)
        self._first = True

    @property
    def produced(self) -> int:
        """Decoded bytes produced so far."""
        return self._produced

    def decode(self, data: bytes) -> list[bytes]:
        """The decoded pieces for ``data`` (each at most ``step`` bytes)."""
        try:
            return self._drain(data)
        except zlib.error:
            if self._retry_as_raw_deflate():
                return self.decode(data)
            raise NotEncodedAsClaimed(
                f"the body claims {self._encoding} encoding but does not decode as it"
            ) from None

    def finish(self) -> list[bytes]:
        """The last decoded pieces; ``NotEncodedAsClaimed`` if the body ended mid-stream."""
        try:
            pieces = self._drain(b"")
        except zlib.error:
            pieces, eof = [], False
        else:
            eof = self._inflater.eof
        if not eof:
            raise NotEncodedAsClaimed(f"the {self._encoding} body is truncated")
        return pieces

    def _drain(self, data: bytes) -> list[bytes]:
        # Output is asked for in bounded steps; a step filled to the brim may leave more
        # output inside zlib even when no input is left, so only a short step ends the loop.
        pieces: list[bytes] = []
        pending = data
        while True:
            want = min(self._step, self._limit - self._produced + 1)
            piece = self._inflater.decompress(pending, want)
            self._first = False
            self._take(piece, pieces)
            pending = self._inflater.unconsumed_tail
            if len(piece) < want and not pending:
                return pieces

    def _take(self, piece: bytes, pieces: list[bytes]) -> None:
        if not piece:
            return
        self._produced += len(piece)
        if self._produced > self._limit:
            raise DecodedTooLarge(f"decodes to more than {self._limit} bytes")
        pieces.append(piece)

    def _retry_as_raw_deflate(self) -> bool:
        if self._encoding != "deflate" or not self._first or self._raw_deflate_tried:
            return False
        self._raw_deflate_tried = True
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return True
