"""Generated results: exact sizes, real TSV/zip/PDF/PNG, the same bytes on every call."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest

from galatea_async._enums import ResultType
from galatea_async.emulator import Emulator
from galatea_async.emulator._content import (
    genotype_file,
    png_image,
    result_content,
    tsv_block,
    tsv_text,
)
from galatea_async.emulator._pdf import pdf_document

_ALL = [
    ResultType.SUMMARY_CHROMS,
    ResultType.SUMMARY_SUPERSET,
    ResultType.DETAILED_CHROMS,
    ResultType.DETAILED_SUPERSET,
    ResultType.EXEC_ERRORS,
    ResultType.PDF_REPORT,
    ResultType.PRS_JSON_DATA,
    ResultType.PRS_IMAGES,
]
_ZIPS = {
    ResultType.DETAILED_SUPERSET,
    ResultType.PDF_REPORT,
    ResultType.PRS_JSON_DATA,
    ResultType.PRS_IMAGES,
}


def _check_pdf(data: bytes) -> None:
    assert data.startswith(b"%PDF-1.4")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\n(\d+)\n", data)[-1])
    assert data[startxref:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) 00000 n ", data[startxref:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)


@pytest.mark.parametrize("result_type", _ALL)
@pytest.mark.parametrize("size", [None, 4000, 3 * 1024 * 1024 + 5])
def test_result_content_has_the_requested_size_and_real_format(
    result_type: ResultType, size: int | None
) -> None:
    report = ("r_s1_prs-ruo-cardio.pdf", pdf_document("Report", ["line"]))
    blob = result_content(result_type, "order-1", samples=["s1"], size=size, reports=[report])
    if size is not None:
        assert blob.size == size
    data = blob.read()
    if result_type in _ZIPS:
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    else:
        assert data.count(b"\n") >= 1
        assert data.split(b"\n", 1)[0].count(b"\t") >= 1 or result_type == "EXEC_ERRORS"


def test_results_are_deterministic_per_seed_and_differ_between_seeds() -> None:
    first = result_content("DETAILED_CHROMS", "order-a", samples=["s1"], size=2_000_000)
    again = result_content("DETAILED_CHROMS", "order-a", samples=["s1"], size=2_000_000)
    other = result_content("DETAILED_CHROMS", "order-b", samples=["s1"], size=2_000_000)
    assert first.md5_hex() == again.md5_hex() != other.md5_hex()


def test_pdf_report_zip_holds_the_order_pdfs() -> None:
    report = pdf_document("Report", ["line"])
    blob = result_content("PDF_REPORT", "o", samples=["s1"], reports=[("a.pdf", report)])
    archive = zipfile.ZipFile(io.BytesIO(blob.read()))
    assert archive.read("a.pdf") == report.read()


@pytest.mark.parametrize("size", [None, 1500, 2_000_000])
def test_pdf_documents_are_structurally_valid_at_any_size(size: int | None) -> None:
    document = pdf_document("Ancestry (report)", ["Sample s1", "EUR 0.61"], size=size)
    if size is not None:
        assert document.size == size
    _check_pdf(document.read())


def test_a_pdf_cannot_be_padded_below_its_natural_size() -> None:
    with pytest.raises(ValueError, match="smaller"):
        pdf_document("Report", ["x"], size=100)


def test_png_images_have_a_valid_signature_and_chunks() -> None:
    image = png_image(32, 16, "seed")
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"IHDR" in image[:16]
    assert image.endswith(b"IEND\xaeB`\x82")


def test_generated_genotype_files_have_the_asked_size() -> None:
    assert genotype_file("a", 5_000_000).size == 5_000_000
    assert genotype_file("a").read().startswith(b"# This data file")


# The bytes of generated results, pinned (md5s taken from the generator before it was made
# faster): a faster generator must serve exactly the same files.
_PINNED = [
    (ResultType.SUMMARY_CHROMS, 48 * 1024, "e8f6fcc33d0c4d41f82f46c551655cf6"),
    (ResultType.DETAILED_CHROMS, 3 * 1024 * 1024 + 5, "5eafce36e51bb707b3f766896e751dcb"),
    (ResultType.DETAILED_SUPERSET, 160 * 1024, "d27e71e94dca3e26607c7966ddfbc09c"),
    (ResultType.SUMMARY_SUPERSET, 1024 * 1024, "6695e77c967166e9c9985074cc5f2a0d"),
    (ResultType.PRS_JSON_DATA, 512 * 1024, "42a81467ccb47b33f2d2010a148d8bdb"),
]


@pytest.mark.parametrize(("result_type", "size", "md5"), _PINNED)
def test_generated_results_keep_their_bytes(result_type: ResultType, size: int, md5: str) -> None:
    blob = result_content(result_type, "order-1", samples=["s1"], size=size)
    assert hashlib.md5(blob.read(), usedforsecurity=False).hexdigest() == md5
    assert blob.md5_hex() == md5


@pytest.mark.parametrize(
    ("seed", "md5"),
    [
        ("order-1", "6e38bab7240d5f36bf213c8f080b7fd2"),
        ("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "f2eb4f0d6a5ac24639eaf11f5c347a73"),
    ],
)
def test_the_tsv_block_keeps_its_bytes_and_its_prefixes(seed: str, md5: str) -> None:
    block = tsv_block(seed)
    assert hashlib.md5(block, usedforsecurity=False).hexdigest() == md5
    for length in (1, 777, 48 * 1024, len(block) - 1):
        assert tsv_text(seed, length) == block[:length]


def test_the_demo_worlds_results_keep_their_bytes() -> None:
    emulator = Emulator.demo(time_scale=None)
    digest = hashlib.md5(usedforsecurity=False)
    for order in emulator.state.orders.values():
        for result_type in sorted(order.result_sizes):
            blob, name = emulator.state.result_blob(order, result_type, None)
            digest.update(name.encode())
            digest.update(blob.read())
    assert digest.hexdigest() == "0b006b9c3bb52576de62b902c305abc1"
