"""Compression bombs: a few hundred KB on the wire, hundreds of MiB once decoded.

Built in milliseconds, not by compressing the zeros: deflate's output for a block of zeros
after a full flush never refers back past that flush, so the same compressed block repeats
verbatim, and the stream is that block ``n`` times plus the trailer. A second layer
(``gzip, gzip``) shrinks a 256 MiB bomb to about 600 bytes.
"""

from __future__ import annotations

import functools
import gzip
import struct
import zlib

__all__ = ["MiB", "deflate_bomb", "gzip_bomb", "gzip_of"]

MiB = 1 << 20
_ZEROS = bytes(MiB)


@functools.cache
def _raw_deflate_of_zeros(mebibytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (mebibytes - 1) + compressor.flush(zlib.Z_FINISH)


@functools.cache
def gzip_bomb(mebibytes: int, *, layers: int = 1) -> bytes:
    """gzip of ``mebibytes`` MiB of zeros, gzipped again ``layers - 1`` times."""
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(_ZEROS, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mebibytes * MiB) & 0xFFFFFFFF)
    body = header + _raw_deflate_of_zeros(mebibytes) + trailer
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


@functools.cache
def deflate_bomb(mebibytes: int) -> bytes:
    """HTTP's ``deflate`` (the zlib format) of ``mebibytes`` MiB of zeros."""
    adler = 1
    for _ in range(mebibytes):
        adler = zlib.adler32(_ZEROS, adler)
    return b"\x78\xda" + _raw_deflate_of_zeros(mebibytes) + struct.pack(">I", adler)


def gzip_of(data: bytes) -> bytes:
    """Plain gzip of ``data`` (an honest encoded body)."""
    return gzip.compress(data, 6)
