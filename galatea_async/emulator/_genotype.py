"""Decide whether uploaded bytes look like a genotype or VCF file (the emulator's validation)."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib

import attrs

from galatea_async._enums import GenomeType

__all__ = ["Verdict", "inspect_source_file"]

_SNIFF_BYTES = 256 * 1024
_CHROMOSOME = re.compile(r"^(chr)?([1-9]|1[0-9]|2[0-2]|X|Y|XY|MT|M)$", re.IGNORECASE)
_GENOTYPE = re.compile(r"^([ACGTDI-]{1,2}|--|00)$", re.IGNORECASE)


@attrs.frozen
class Verdict:
    """What validation found: VALID (``check_information`` None) or why not."""

    check_information: str | None
    genome_type: str = GenomeType.GNT
    amount_of_samples: int = 1

    @property
    def valid(self) -> bool:
        return self.check_information is None


def _unwrap(data: bytes) -> bytes | str:
    """The first bytes of the payload inside a gzip or zip wrapper, or an error text."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                return stream.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error):
            return "gzip archive is corrupt"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [i for i in archive.infolist() if not i.is_dir()]
                if not members:
                    return "zip archive is empty"
                with archive.open(members[0]) as stream:
                    return stream.read(_SNIFF_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            return "zip archive is corrupt"
    return data[:_SNIFF_BYTES]


def _check_vcf(lines: list[str]) -> Verdict:
    header = next((line for line in lines if line.startswith("#CHROM")), None)
    if header is None:
        return Verdict("VCF file has no #CHROM header line", GenomeType.WGS, 0)
    columns = header.split("\t")
    samples = max(len(columns) - 9, 0)
    if samples == 0:
        return Verdict("VCF file has no sample columns", GenomeType.WGS, 0)
    return Verdict(None, GenomeType.WGS, samples)


def _check_genotype(lines: list[str]) -> Verdict:
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    if rows and rows[0].lower().startswith(("rsid", '"rsid', "snp")):
        rows = rows[1:]  # a column header without the leading '#'
    if not rows:
        return Verdict("file has no genotype rows", GenomeType.GNT, 0)
    checked = rows[:200]
    if len(checked) > 1:
        checked = checked[:-1]  # the sniffed window may cut the last row short
    for number, row in enumerate(checked, start=1):
        fields = [f.strip('"') for f in re.split(r"[\t,]| +", row.strip())]
        if len(fields) < 4:
            return Verdict(
                f"row {number}: expected rsid, chromosome, position, genotype", GenomeType.GNT, 0
            )
        _, chromosome, position, genotype = fields[:4]
        if len(fields) >= 5 and not _GENOTYPE.match(genotype):
            genotype = fields[3] + fields[4]  # AncestryDNA: allele1, allele2 columns
        if not _CHROMOSOME.match(chromosome) and chromosome not in ("0", "23", "24", "25", "26"):
            return Verdict(
                f"row {number}: unknown chromosome {chromosome[:20]!r}", GenomeType.GNT, 0
            )
        if not position.isdigit():
            return Verdict(f"row {number}: position is not a number", GenomeType.GNT, 0)
        if not _GENOTYPE.match(genotype):
            return Verdict(
                f"row {number}: genotype {genotype[:20]!r} is not valid", GenomeType.GNT, 0
            )
    return Verdict(None, GenomeType.GNT, 1)


def inspect_source_file(data: bytes) -> Verdict:
    """Validate ``data``: a genotype text file or a VCF, optionally gzip- or zip-wrapped."""
    payload = _unwrap(data)
    if isinstance(payload, str):
        return Verdict(payload, GenomeType.GNT, 0)
    if not payload.strip():
        return Verdict("file is empty", GenomeType.GNT, 0)
    if b"\x00" in payload[:4096]:
        return Verdict("file is binary, expected a genotype text file or a VCF", GenomeType.GNT, 0)
    text = payload.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if text.startswith("##fileformat=VCF"):
        return _check_vcf(lines)
    return _check_genotype(lines)
