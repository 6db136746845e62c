"""Check that a client wrote exactly the workload's files, with the right bytes in each."""

from __future__ import annotations

from pathlib import Path

from benchmarks._data import blocks as _blocks
from benchmarks._workloads import Workload


def check_output(workload: Workload, dest: Path) -> str | None:
    """Return what is wrong with `dest` after a download run, or None if it is all there."""
    files = sorted(p for p in dest.iterdir() if p.is_file())
    if len(files) != workload.count:
        return f"{len(files)} files in dest, expected {workload.count}"
    index_of = {order_id: index for index, order_id in enumerate(workload.order_ids())}
    for path in files:
        order_id = path.name[:36]
        if order_id not in index_of:
            return f"unexpected file {path.name}"
        size = path.stat().st_size
        if size != workload.size:
            return f"{path.name} has {size} bytes, expected {workload.size}"
        # Every file starts with its own index (see _data), so a swapped body shows here.
        with open(path, "rb") as handle:
            head = handle.read(21)
        if head != next(_blocks(index_of[order_id], workload.size))[:21]:
            return f"{path.name} holds another file's bytes"
    # One file compared in full: catches corruption inside a body, not only at its start.
    # Streamed, block by block, so the runner stays small (see _measure on peak RSS).
    middle = workload.count // 2
    sample = next(p for p in files if p.name.startswith(workload.order_ids()[middle]))
    with open(sample, "rb") as handle:
        for block in _blocks(middle, workload.size):
            if handle.read(len(block)) != block:
                return f"{sample.name} content differs from the source"
    return None


def check_sync_output(workload: Workload, dest: Path, data: Path) -> str | None:
    """Return what is wrong with `dest` after a sync run, or None if every result is there."""
    from benchmarks._sync_data import order_ids

    wanted = order_ids(data)
    folders = sorted(p for p in dest.iterdir() if p.is_dir())
    if len(folders) != len(wanted):
        return f"{len(folders)} order folders in dest, expected {len(wanted)}"
    files = [p for folder in folders for p in folder.iterdir() if p.is_file()]
    if len(files) != 4 * len(wanted):
        return f"{len(files)} result files in dest, expected {4 * len(wanted)}"
    wrong = next((p for p in files if p.stat().st_size != workload.size), None)
    if wrong is not None:
        return f"{wrong.name} has {wrong.stat().st_size} bytes, expected {workload.size}"
    return None
