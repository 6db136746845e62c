"""Upload validation: genotype text and VCF pass, optionally wrapped; anything else fails."""

from __future__ import annotations

import gzip
import io
import zipfile

from galatea_async.emulator._content import genotype_file
from galatea_async.emulator._genotype import inspect_source_file

_VCF = (
    b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
    b"1\t100\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\n"
)


def _zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("genome.txt", data)
    return buffer.getvalue()


def test_genotype_text_is_valid_plain_gzipped_or_zipped() -> None:
    data = genotype_file("x").read()
    for wrapped in (data, gzip.compress(data), _zipped(data)):
        verdict = inspect_source_file(wrapped)
        assert verdict.valid
        assert verdict.genome_type == "GNT"
        assert verdict.amount_of_samples == 1


def test_vcf_is_valid_and_counts_its_samples() -> None:
    verdict = inspect_source_file(gzip.compress(_VCF))
    assert verdict.valid
    assert verdict.genome_type == "WGS"
    assert verdict.amount_of_samples == 2


def test_vcf_without_header_line_is_not_valid() -> None:
    assert inspect_source_file(b"##fileformat=VCFv4.2\n1\t100\n").check_information


def test_text_that_is_not_genotype_data_is_not_valid_with_a_reason() -> None:
    verdict = inspect_source_file(b"dear diary, today I sequenced nothing\n")
    assert not verdict.valid
    assert verdict.check_information


def test_binary_empty_and_corrupt_archives_are_not_valid() -> None:
    assert inspect_source_file(b"\x00\x01\x02 binary").check_information
    assert inspect_source_file(b"   ").check_information == "file is empty"
    assert inspect_source_file(b"\x1f\x8b garbage").check_information == "gzip archive is corrupt"
    assert inspect_source_file(b"PK\x03\x04 garbage").check_information == "zip archive is corrupt"


def test_bad_genotype_value_is_reported_with_its_row() -> None:
    verdict = inspect_source_file(b"rs1\t1\t100\tAA\nrs2\t2\t200\tZZ\nrs3\t3\t300\tAG\n")
    assert verdict.check_information == "row 2: genotype 'ZZ' is not valid"
