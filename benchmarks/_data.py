"""Deterministic data files for the benchmarks, written once into benchmarks/data/."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

from benchmarks._workloads import MIB, RESULT_TYPE, Workload

# Bump when the file contents change, so stale data is rewritten.
_FORMAT = 1
_BLOCK = random.Random(20240401).randbytes(MIB)


def file_name(order_id: str, result_type: str = RESULT_TYPE) -> str:
    """Return the on-disk name nginx maps `/results/{order_id}/download?result_type=X` to."""
    return f"{order_id}_{result_type}"


def blocks(index: int, size: int) -> Iterator[bytes]:
    """Yield the exact bytes of file `index` of `size` bytes, a MiB at a time."""
    # Each MiB starts with its file index and offset so no two files (or blocks) are equal,
    # which keeps a client that mixes up responses from passing the size check by luck.
    for offset in range(0, size, MIB):
        stamp = f"{index:08d}:{offset:012d}|".encode()
        yield (stamp + _BLOCK[len(stamp) :])[: min(MIB, size - offset)]


def ensure_files(workload: Workload, directory: Path) -> None:
    """Write the workload's files into `directory` unless a matching manifest says they exist."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / f".manifest-{workload.name}-{workload.count}x{workload.size}.json"
    wanted = {"format": _FORMAT, "count": workload.count, "size": workload.size}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return
    for index, order_id in enumerate(workload.order_ids()):
        path = directory / file_name(order_id)
        with open(path, "wb") as handle:
            for chunk in blocks(index, workload.size):
                handle.write(chunk)
        # nginx workers run as an unprivileged user and must be able to read the files.
        os.chmod(path, 0o644)
    manifest.write_text(json.dumps(wanted))
