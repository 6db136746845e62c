"""Archive integrity: sound gzip, BGZF and zip files pass, damaged ones are caught where."""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galatea_async._archive import ArchiveCheck
from galatea_async.errors import ArchiveIntegrityError, GalateaError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

contents = st.binary(min_size=0, max_size=3000) | st.builds(
    lambda word, times: word * times, st.binary(min_size=1, max_size=20), st.integers(1, 500)
)
feed_sizes = st.integers(min_value=1, max_value=5000)


def check(data: bytes, *, name: str = "sample.vcf.gz", feed_size: int = 1 << 20) -> None:
    """Feed ``data`` in ``feed_size`` pieces and finish; the check must exist."""
    archive_check = ArchiveCheck.for_first_bytes(data[:4], name=name)
    assert archive_check is not None
    for start in range(0, len(data), feed_size):
        archive_check.feed(data[start : start + feed_size])
    archive_check.finish()


def offset_caught(data: bytes, *, feed_size: int) -> int | None:
    """The offset of the fault the check reports, or ``None`` if it passes."""
    try:
        check(data, feed_size=feed_size)
    except ArchiveIntegrityError as error:
        return error.offset
    return None


def gzip_header_length(data: bytes) -> int:
    assert data[3] == 0  # gzip.compress(mtime=0) writes no optional fields
    return 10


def zip_of(
    entries: list[tuple[bytes, int]], *, streamed: bool = False, comment: bytes = b""
) -> bytes:
    """A zip of ``(content, compression)`` entries; ``streamed`` writes data descriptors."""
    buffer = io.BytesIO()
    target = _Unseekable(buffer) if streamed else buffer
    with zipfile.ZipFile(target, "w") as archive:
        for number, (content, compression) in enumerate(entries):
            info = zipfile.ZipInfo(f"entry-{number}.txt", date_time=(2024, 1, 2, 3, 4, 6))
            info.compress_type = compression
            with archive.open(info, "w") as entry:
                entry.write(content)
        archive.comment = comment
    return buffer.getvalue()


class _Unseekable(io.RawIOBase):
    def __init__(self, buffer: io.BytesIO) -> None:
        self._buffer = buffer

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._buffer.write(data)


def data_ranges(data: bytes) -> list[tuple[int, int]]:
    """Where each zip entry's compressed data lies."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        ranges = []
        for info in archive.infolist():
            name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_length + extra_length
            ranges.append((start, start + info.compress_size))
        return ranges


def bgzf_block(content: bytes) -> bytes:
    """One BGZF block: a gzip member whose extra field holds its own size."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = compressor.compress(content) + compressor.flush()
    size = 18 + len(deflated) + 8
    header = (
        b"\x1f\x8b\x08\x04"
        + b"\0\0\0\0"
        + b"\x00\xff"
        + struct.pack("<HBBHH", 6, 66, 67, 2, size - 1)
    )
    return header + deflated + struct.pack("<II", zlib.crc32(content), len(content))


BGZF_EOF = bgzf_block(b"")


# --- what is an archive ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["genotype.txt.zip", "sample.vcf.gz", "notes"])
def test_plain_text_is_not_an_archive_whatever_its_name(name: str) -> None:
    assert ArchiveCheck.for_first_bytes(b"rsid\tchromosome\tposition\n", name=name) is None


@pytest.mark.parametrize(
    ("head", "kind"), [(gzip.compress(b"x"), "gzip"), (zip_of([(b"x", zipfile.ZIP_STORED)]), "zip")]
)
def test_archives_are_recognised_by_signature_not_by_name(head: bytes, kind: str) -> None:
    archive_check = ArchiveCheck.for_first_bytes(head[:4], name="upload.bin")
    assert archive_check is not None
    assert archive_check.kind == kind


def test_empty_zip_passes() -> None:
    check(zip_of([]), name="empty.zip")


# --- gzip -----------------------------------------------------------------------------------


@FAST
@given(st.lists(contents, min_size=1, max_size=4), feed_sizes, st.integers(0, 40))
def test_sound_gzip_of_random_content_passes(
    members: list[bytes], feed_size: int, padding: int
) -> None:
    data = b"".join(gzip.compress(member, mtime=0) for member in members) + b"\0" * padding
    check(data, feed_size=feed_size)


@FAST
@given(contents, st.data())
def test_truncated_gzip_is_caught_at_the_end_of_the_file(
    content: bytes, data: st.DataObject
) -> None:
    whole = gzip.compress(content, mtime=0)
    cut = data.draw(st.integers(4, len(whole) - 1))
    with pytest.raises(ArchiveIntegrityError, match="truncated") as caught:
        check(whole[:cut], feed_size=data.draw(feed_sizes))
    assert caught.value.offset == cut


@FAST
@given(contents, st.data())
def test_flipped_byte_in_gzip_data_is_caught_at_or_after_it_unless_unused(
    content: bytes, data: st.DataObject
) -> None:
    whole = bytearray(gzip.compress(content, mtime=0))
    position = data.draw(st.integers(gzip_header_length(whole), len(whole) - 9))
    whole[position] ^= data.draw(st.integers(1, 255))
    offset = offset_caught(bytes(whole), feed_size=data.draw(feed_sizes))
    if offset is None:  # only the unused padding bits after the last deflate block go unseen
        assert gzip.decompress(whole) == content
    else:
        assert position <= offset <= len(whole)


@pytest.mark.parametrize(("field", "problem"), [(-8, "CRC32"), (-4, "length")])
def test_damaged_gzip_trailer_is_named_with_its_offset(field: int, problem: str) -> None:
    whole = bytearray(gzip.compress(b"ACGT" * 1000, mtime=0))
    whole[field] ^= 0x40
    with pytest.raises(ArchiveIntegrityError, match=problem) as caught:
        check(bytes(whole))
    assert caught.value.offset == len(whole) + field


def test_trailing_garbage_after_gzip_is_refused() -> None:
    with pytest.raises(ArchiveIntegrityError, match="after the last gzip member") as caught:
        check(gzip.compress(b"data", mtime=0) + b"\0\0garbage")
    assert caught.value.offset == len(gzip.compress(b"data", mtime=0)) + 2


def test_gzip_name_comment_and_header_crc_are_read() -> None:
    content = b"##fileformat=VCFv4.2\n" * 50
    header = b"\x1f\x8b\x08" + bytes([8 | 16 | 2]) + b"\0\0\0\0\0\xff" + b"in.vcf\0note\0"
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = compressor.compress(content) + compressor.flush()
    trailer = struct.pack("<II", zlib.crc32(content), len(content))
    whole = header + struct.pack("<H", zlib.crc32(header) & 0xFFFF) + body + trailer
    check(whole, feed_size=3)
    damaged = bytearray(whole)
    damaged[len(header)] ^= 1
    with pytest.raises(ArchiveIntegrityError, match="CRC16") as caught:
        check(bytes(damaged))
    assert caught.value.offset == len(header)


# --- BGZF -----------------------------------------------------------------------------------


def test_sound_bgzf_passes_with_or_without_its_end_marker() -> None:
    blocks = b"".join(bgzf_block(bytes([65 + n]) * 60000) for n in range(4))
    check(blocks + BGZF_EOF, feed_size=4096)
    check(blocks, feed_size=65536)


def test_bgzf_block_with_a_bad_crc_is_named_by_number_and_offset() -> None:
    blocks = [bgzf_block(bytes([65 + n]) * 1000) for n in range(3)]
    damaged = bytearray(blocks[1])
    damaged[-8] ^= 1
    data = blocks[0] + bytes(damaged) + blocks[2] + BGZF_EOF
    with pytest.raises(ArchiveIntegrityError, match=f"member 2 \\(at offset {len(blocks[0])}\\)"):
        check(data)


def test_bgzf_block_whose_size_field_lies_is_caught() -> None:
    block = bytearray(bgzf_block(b"A" * 1000))
    struct.pack_into("<H", block, 16, len(block))  # one more than the block holds
    with pytest.raises(ArchiveIntegrityError, match="BSIZE") as caught:
        check(bytes(block) + BGZF_EOF)
    assert caught.value.offset == 0


def test_bgzf_cut_inside_its_last_block_is_caught() -> None:
    data = bgzf_block(b"A" * 5000) + bgzf_block(b"C" * 5000)
    with pytest.raises(ArchiveIntegrityError, match="member 2's deflate data"):
        check(data[:-20])


# --- zip ------------------------------------------------------------------------------------

zip_entries = st.lists(
    st.tuples(contents, st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])),
    max_size=4,
)


@FAST
@given(zip_entries, st.booleans(), st.binary(max_size=40), feed_sizes)
def test_sound_zip_of_random_entries_passes(
    entries: list[tuple[bytes, int]], streamed: bool, comment: bytes, feed_size: int
) -> None:
    check(zip_of(entries, streamed=streamed, comment=comment), name="a.zip", feed_size=feed_size)


@FAST
@given(zip_entries, st.booleans(), st.data())
def test_truncated_zip_is_caught(
    entries: list[tuple[bytes, int]], streamed: bool, data: st.DataObject
) -> None:
    whole = zip_of(entries, streamed=streamed)
    cut = data.draw(st.integers(4, len(whole) - 1))
    if streamed and any(method == zipfile.ZIP_STORED for _, method in entries):
        return  # checked apart: a stored entry with a descriptor ends the streaming check
    with pytest.raises(ArchiveIntegrityError, match="zip"):
        check(whole[:cut], name="a.zip", feed_size=data.draw(feed_sizes))


@FAST
@given(
    st.lists(
        st.tuples(
            st.binary(min_size=1, max_size=3000),
            st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
        ),
        min_size=1,
        max_size=3,
    ),
    st.data(),
)
def test_flipped_byte_in_zip_entry_data_is_caught_at_or_after_it_unless_unused(
    entries: list[tuple[bytes, int]], data: st.DataObject
) -> None:
    whole = bytearray(zip_of(entries))
    start, end = data.draw(st.sampled_from(data_ranges(bytes(whole))))
    position = data.draw(st.integers(start, end - 1))
    whole[position] ^= data.draw(st.integers(1, 255))
    offset = offset_caught(bytes(whole), feed_size=data.draw(feed_sizes))
    if offset is None:  # only the unused padding bits after the last deflate block go unseen
        with zipfile.ZipFile(io.BytesIO(whole)) as archive:
            assert [archive.read(info) for info in archive.infolist()] == [e for e, _ in entries]
    else:
        assert position <= offset <= len(whole)


def central_directory_offset(data: bytes) -> int:
    return int(struct.unpack_from("<I", data, len(data) - 6)[0])


@pytest.mark.parametrize(
    ("field_offset", "problem"),
    [(16, "CRC32"), (20, "compressed length"), (24, "length"), (42, "points to offset")],
)
def test_central_directory_that_disagrees_with_the_entries_is_caught(
    field_offset: int, problem: str
) -> None:
    whole = bytearray(zip_of([(b"ACGT" * 500, zipfile.ZIP_DEFLATED)]))
    directory = central_directory_offset(bytes(whole))
    whole[directory + field_offset] ^= 1
    with pytest.raises(ArchiveIntegrityError, match=problem) as caught:
        check(bytes(whole), name="a.zip")
    assert caught.value.offset == directory


@pytest.mark.parametrize(
    ("field_offset", "problem"), [(10, "entry count"), (12, "size"), (16, "offset")]
)
def test_end_record_that_disagrees_with_the_directory_is_caught(
    field_offset: int, problem: str
) -> None:
    whole = bytearray(zip_of([(b"x", zipfile.ZIP_STORED), (b"y", zipfile.ZIP_DEFLATED)]))
    end = len(whole) - 22
    whole[end + field_offset] ^= 1
    with pytest.raises(ArchiveIntegrityError, match=problem) as caught:
        check(bytes(whole), name="a.zip")
    assert caught.value.offset == end


def test_bytes_after_the_zip_end_record_are_refused() -> None:
    whole = zip_of([(b"x", zipfile.ZIP_STORED)])
    with pytest.raises(ArchiveIntegrityError, match="after the end") as caught:
        check(whole + b"extra", name="a.zip")
    assert caught.value.offset == len(whole)


def test_zip64_archive_passes() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("big.txt", "w", force_zip64=True) as entry,
    ):
        entry.write(b"ACGT" * 10000)
    check(buffer.getvalue(), name="a.zip", feed_size=100)


def test_stored_entry_with_a_descriptor_stops_the_check_and_passes() -> None:
    whole = zip_of([(b"x" * 100, zipfile.ZIP_STORED)], streamed=True)
    check(whole, name="a.zip")
    check(whole[:-30], name="a.zip")


def test_zip_error_names_the_file_and_offset_but_never_an_entry_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Jane_Doe_1980-01-30.txt", b"rs1\tAA\n" * 100)
    whole = buffer.getvalue()
    with pytest.raises(ArchiveIntegrityError) as caught:
        check(whole[:-10], name="batch-7.txt.zip")
    message = str(caught.value)
    assert "'batch-7.txt.zip'" in message
    assert f"offset {len(whole) - 10}" in message
    assert "Jane" not in message
    assert "check_archive=False" in message


# --- the check as an object -----------------------------------------------------------------


def test_integrity_error_is_a_value_error_and_a_galatea_error() -> None:
    assert issubclass(ArchiveIntegrityError, ValueError)
    assert issubclass(ArchiveIntegrityError, GalateaError)


def test_a_failed_check_keeps_failing() -> None:
    damaged = bytearray(gzip.compress(b"A" * 100, mtime=0))
    damaged[-8] ^= 1
    archive_check = ArchiveCheck.for_first_bytes(bytes(damaged), name="s.gz")
    assert archive_check is not None
    with pytest.raises(ArchiveIntegrityError) as first:
        archive_check.feed(bytes(damaged))
    with pytest.raises(ArchiveIntegrityError) as again:
        archive_check.finish()
    assert again.value is first.value


def test_gzip_bomb_is_checked_in_bounded_memory() -> None:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    data = b"".join(compressor.compress(zeros) for _ in range(128)) + compressor.flush()
    tracemalloc.start()
    try:
        check(data, feed_size=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
