"""Pure content decoding of API answers under a cap on decoded bytes."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galatea_async._http._decoding import BodyTooLarge, BoundedDecoder, ContentDecodingError


def decode(encoding: str | None, wire: bytes, limit: int = 1 << 20, piece: int = 7) -> bytes:
    decoder = BoundedDecoder(encoding, limit)
    out: list[bytes] = []
    for start in range(0, len(wire), piece):
        out += decoder.feed(wire[start : start + piece])
    out += decoder.finish()
    return b"".join(out)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=300))
def test_gzip_and_deflate_round_trip_in_any_pieces(data: bytes, piece: int) -> None:
    assert decode("gzip", gzip.compress(data), piece=piece) == data
    assert decode("x-gzip", gzip.compress(data), piece=piece) == data
    assert decode("deflate", zlib.compress(data), piece=piece) == data
    assert decode("deflate", raw_deflate(data), piece=piece) == data
    assert decode(None, data, piece=piece) == data
    assert decode("identity", data, piece=piece) == data


def test_chained_and_multi_member_gzip() -> None:
    data = b'{"a": 1}' * 100
    assert decode("deflate, gzip", gzip.compress(zlib.compress(data))) == data
    assert decode("GZIP , Identity", gzip.compress(data)) == data
    assert decode("gzip", gzip.compress(data[:300]) + gzip.compress(data[300:])) == data


def test_the_cap_holds_on_decoded_bytes_as_they_are_produced() -> None:
    bomb = gzip.compress(b"\0" * (8 << 20))  # 8 KB on the wire
    decoder = BoundedDecoder("gzip", 1 << 20)
    with pytest.raises(BodyTooLarge):
        decoder.feed(bomb)
    # gzip of gzip: each layer is held to the cap too.
    nested = gzip.compress(gzip.compress(b"\0" * (64 << 20)))
    with pytest.raises(BodyTooLarge):
        decode("gzip, gzip", nested, limit=1 << 20, piece=1 << 16)


def test_the_cap_counts_plain_bodies_too() -> None:
    with pytest.raises(BodyTooLarge):
        decode(None, b"x" * 11, limit=10)
    assert decode(None, b"x" * 10, limit=10) == b"x" * 10


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_body_that_is_not_what_it_claims(encoding: str) -> None:
    with pytest.raises(ContentDecodingError, match=f"claims {encoding} but is not"):
        decode(encoding, b'{"plain": "json"}')


def test_a_cut_gzip_stream_is_refused_at_the_end() -> None:
    wire = gzip.compress(b"x" * 10_000)
    with pytest.raises(ContentDecodingError, match="cut short"):
        decode("gzip", wire[:-20])


def test_junk_after_the_gzip_stream_is_refused() -> None:
    with pytest.raises(ContentDecodingError, match="claims gzip but is not"):
        decode("gzip", gzip.compress(b"data") + b"<html>junk</html>")


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
def test_encodings_we_do_not_decode_are_named(encoding: str) -> None:
    with pytest.raises(ContentDecodingError, match=r"'(br|zstd|compress)'-encoded"):
        BoundedDecoder(encoding, 100)


def test_an_empty_body_claiming_gzip_is_empty() -> None:
    assert decode("gzip", b"") == b""
