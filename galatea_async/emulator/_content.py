"""Deterministic result contents: TSV summaries, zip archives, PNG charts, error logs, JSON.

Everything derives from a seed string (the order id), so the same order always serves the
same bytes. Explicit sizes are honoured exactly by repeating a 1 MiB block of TSV rows.
"""

from __future__ import annotations

import functools
import json
import random
import struct
import zlib
from collections.abc import Sequence
from typing import Any

from galatea_async._enums import ResultType
from galatea_async.emulator._blob import BLOCK_SIZE, Blob, Repeat, stored_zip, zip_overhead

__all__ = [
    "POPULATIONS",
    "genotype_file",
    "png_image",
    "result_content",
    "result_json",
    "tsv_block",
    "tsv_text",
]

POPULATIONS = ("AFR", "AMR", "EAS", "EUR", "SAS", "OCE")
_CHROMOSOMES = [str(n) for n in range(1, 23)]
_LABELS = ("Yoruba", "Mende", "Maya", "Han Chinese", "Japanese", "Finnish", "Tuscan", "Punjabi")
_HEADERS: dict[str, str] = {
    ResultType.SUMMARY_SUPERSET: "sample_id\tsuperpopulation\tproportion\n",
    ResultType.SUMMARY_CHROMS: "sample_id\tchromosome\t" + "\t".join(POPULATIONS) + "\n",
    ResultType.DETAILED_CHROMS: "sample_id\tchromosome\tstart\tend\tlabel\tprobability\n",
    ResultType.EXEC_ERRORS: "# execution errors\n",
}
_DEFAULT_HEADER = "sample_id\tchromosome\tstart\tend\tsuperpopulation\tprobability\n"


def _proportions(rng: random.Random, count: int) -> list[float]:
    weights = [rng.random() ** 3 for _ in range(count)]
    total = sum(weights) or 1.0
    return [w / total for w in weights]


def _segment_rows(rng: random.Random, sample: str, chromosome: str, count: int) -> list[str]:
    rows, start = [], 1
    for _ in range(count):
        end = start + rng.randint(200_000, 4_000_000)
        label = rng.choice(_LABELS)
        rows.append(f"{sample}\t{chromosome}\t{start}\t{end}\t{label}\t{rng.random():.4f}\n")
        start = end + 1
    return rows


# 8-row runs of one chromosome, formatted this many at a time by one C-level % operation.
_RUNS_PER_BATCH = 256


def _tsv_rows(seed: str, wanted: int) -> bytes:
    """At least ``wanted`` bytes (or 1 MiB and a little more) of the block's rows.

    The rows are what ``_segment_rows`` makes, runs of 8 on a random chromosome, drawn from
    the same random stream call for call (``choice`` and ``randint`` are ``getrandbits``
    with rejection); the draws are inlined and the text formatted a batch at a time, since
    per-row Python was the whole cost of a result's first download.
    """
    rng = random.Random(seed)
    bits, uniform = rng.getrandbits, rng.random
    sample = f"{seed[:8]}-s1"
    heads = [f"{sample}\t{chromosome}\t" for chromosome in _CHROMOSOMES]
    labels = [f"\t{label}\t" for label in _LABELS]
    chromosome_count, label_count = len(heads), len(labels)
    chromosome_bits, label_bits = chromosome_count.bit_length(), label_count.bit_length()
    span = 4_000_000 - 200_000 + 1  # randint(200_000, 4_000_000)
    span_bits = span.bit_length()
    parts: list[str] = []
    length = 0
    while length < wanted:
        runs = min(_RUNS_PER_BATCH, (wanted - length) // 300 + 1)
        values: list[object] = []
        for _ in range(runs):
            pick = bits(chromosome_bits)
            while pick >= chromosome_count:
                pick = bits(chromosome_bits)
            head = heads[pick]
            start = 1
            for _ in range(8):
                step = bits(span_bits)
                while step >= span:
                    step = bits(span_bits)
                end = start + 200_000 + step
                pick = bits(label_bits)
                while pick >= label_count:
                    pick = bits(label_bits)
                values += (head, start, end, labels[pick], uniform())
                start = end + 1
        text = ("%s%d\t%d%s%.4f\n" * (8 * runs)) % tuple(values)
        parts.append(text)
        length += len(text)
    return "".join(parts).encode()


@functools.lru_cache(maxsize=32)
def tsv_block(seed: str) -> bytes:
    """1 MiB of plausible TSV rows (whole lines) that depends only on ``seed``."""
    raw = _tsv_rows(seed, BLOCK_SIZE)[:BLOCK_SIZE]
    return raw[:-1] + b"\n"


@functools.lru_cache(maxsize=32)
def _tsv_prefix(seed: str, length: int) -> bytes:
    return _tsv_rows(seed, length)[:length]


def tsv_text(seed: str, length: int) -> bytes:
    """The first ``length`` bytes of ``tsv_block(seed)``, made without the rest of it."""
    if length >= BLOCK_SIZE:
        return tsv_block(seed)
    return _tsv_prefix(seed, length)


def _sized_text(header: str, seed: str, size: int) -> Blob:
    head = header.encode()[:size]
    body = size - len(head)
    # A file under 1 MiB uses only the start of its block: only that much is generated.
    return Blob([head, Repeat(tsv_text(seed, min(body, BLOCK_SIZE)) or b"\n", body)])


def _natural_tsv(result_type: str, seed: str, samples: Sequence[str]) -> bytes:
    rng = random.Random(f"{seed}:{result_type}")
    lines = [_HEADERS.get(result_type, _DEFAULT_HEADER)]
    for sample in samples:
        if result_type == ResultType.SUMMARY_SUPERSET:
            for population, share in zip(
                POPULATIONS, _proportions(rng, len(POPULATIONS)), strict=True
            ):
                lines.append(f"{sample}\t{population}\t{share:.4f}\n")
        elif result_type == ResultType.SUMMARY_CHROMS:
            for chromosome in _CHROMOSOMES:
                shares = "\t".join(f"{s:.4f}" for s in _proportions(rng, len(POPULATIONS)))
                lines.append(f"{sample}\t{chromosome}\t{shares}\n")
        else:
            for chromosome in _CHROMOSOMES:
                lines.extend(_segment_rows(rng, sample, chromosome, rng.randint(10, 30)))
    return "".join(lines).encode()


def png_image(width: int, height: int, seed: str) -> bytes:
    """A small real PNG: a bar chart in colours derived from ``seed``."""
    rng = random.Random(seed)
    bars = [rng.randint(height // 5, height) for _ in range(8)]
    colour = bytes(rng.randint(40, 200) for _ in range(3))
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            bar = bars[x * len(bars) // width]
            row += colour if height - y <= bar else b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def _natural_zip(
    result_type: str, seed: str, samples: Sequence[str], reports: Sequence[tuple[str, Blob]]
) -> list[tuple[str, Blob]]:
    if result_type == ResultType.PDF_REPORT:
        return list(reports)
    if result_type == ResultType.PRS_JSON_DATA:
        kinds = [name.rsplit("_", 1)[-1].removesuffix(".pdf") for name, _ in reports] or ["prs"]
        return [
            (f"prs_{kind}.json", Blob.of(json.dumps(result_json(seed, kind, samples)).encode()))
            for kind in kinds
        ]
    if result_type == ResultType.PRS_IMAGES:
        return [(f"high_risk_{n}.png", Blob.of(png_image(96, 48, f"{seed}:{n}"))) for n in (1, 2)]
    rng = random.Random(f"{seed}:{result_type}")
    members = []
    for chromosome in _CHROMOSOMES:
        rows = [_DEFAULT_HEADER]
        for sample in samples:
            rows.extend(_segment_rows(rng, sample, chromosome, rng.randint(5, 15)))
        name = f"{result_type.lower()}_chr{chromosome}.tsv"
        members.append((name, Blob.of("".join(rows).encode())))
    return members


def result_content(
    result_type: str,
    seed: str,
    *,
    samples: Sequence[str],
    size: int | None = None,
    reports: Sequence[tuple[str, Blob]] = (),
    errors: Sequence[str] = (),
) -> Blob:
    """The bytes of one result file; exactly ``size`` bytes when given."""
    if result_type == ResultType.EXEC_ERRORS:
        text = _HEADERS[ResultType.EXEC_ERRORS] + "".join(f"ERROR\t{e}\n" for e in errors)
        if size is None:
            return Blob.of(text.encode())
        return _sized_text(text, seed, size)
    if result_type in (
        ResultType.SUMMARY_SUPERSET,
        ResultType.SUMMARY_CHROMS,
        ResultType.DETAILED_CHROMS,
    ):
        if size is None:
            return Blob.of(_natural_tsv(result_type, seed, samples))
        return _sized_text(_HEADERS[result_type], seed, size)
    members = _natural_zip(result_type, seed, samples, reports)
    if size is None:
        return stored_zip(members)
    filler_name = f"{result_type.lower()}_data.tsv"
    zip64 = size >= 0xFFFFFFFF
    names = [name for name, _ in members]
    used = zip_overhead([*names, filler_name], zip64=zip64) + sum(b.size for _, b in members)
    if used > size:  # the natural members do not fit: one filler member only
        members = []
        used = zip_overhead([filler_name], zip64=zip64)
        if used > size:
            raise ValueError(f"a {result_type} archive cannot be smaller than {used} bytes")
    filler = _sized_text(_DEFAULT_HEADER, seed, size - used)
    return stored_zip([*members, (filler_name, filler)])


def result_json(seed: str, result_type: str, samples: Sequence[str]) -> dict[str, Any]:
    """The decoded JSON form of a result (ancestry proportions per sample)."""
    rng = random.Random(f"{seed}:json:{result_type}")
    per_sample = []
    for sample in samples:
        shares = _proportions(rng, len(POPULATIONS))
        entry: dict[str, Any] = {
            "sample_id": sample,
            "superpopulations": {p: round(s, 4) for p, s in zip(POPULATIONS, shares, strict=True)},
        }
        if "CHROMS" in result_type:
            entry["chromosomes"] = {
                c: {p: round(s, 4) for p, s in zip(POPULATIONS, _proportions(rng, 6), strict=True)}
                for c in _CHROMOSOMES
            }
        per_sample.append(entry)
    return {"result_type": result_type, "samples": per_sample}


def genotype_file(seed: str, size: int | None = None) -> Blob:
    """A 23andMe-style genotype text file (exactly ``size`` bytes when given)."""
    rng = random.Random(f"genotype:{seed}")
    header = (
        "# This data file generated by the galatea emulator\n"
        "# rsid\tchromosome\tposition\tgenotype\n"
    )
    rows = []
    target = 4096 if size is None else min(size, 2 * BLOCK_SIZE)
    length = len(header)
    while length < target:
        chromosome = rng.choice(_CHROMOSOMES)
        genotype = rng.choice("ACGT") + rng.choice("ACGT")
        row = f"rs{rng.randint(1000, 99_999_999)}\t{chromosome}\t{rng.randint(1, 2 * 10**8)}\t"
        row += genotype + "\n"
        rows.append(row)
        length += len(row)
    text = (header + "".join(rows)).encode()
    if size is None or size <= len(text):
        return Blob.of(text[: size if size is not None else len(text)])
    block = text[len(header) :]
    return Blob([header.encode(), Repeat(block, size - len(header))])
