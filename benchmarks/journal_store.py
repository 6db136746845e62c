"""The sync journal's own cost: the SQLite store against the JSON-lines journal it replaced.

Each measurement runs in a fresh process of its own (so its peak RSS is its own), on a folder
whose journal already holds ``--files`` rows (4 result files an order, random order ids):

- ``plan``: load the journal, look up every key in slices of 500 (as a sync plans), record
  ``--files`` new rows (commits as the store makes them), close. The JSON-lines journal, as the
  last version that had it (``--legacy-rev``, read with ``git show``), loads every line into
  dicts, looks keys up there, appends a line per row and rewrites itself compactly at close;
- ``rerun``: a nothing-to-do rerun's share: load, look up every key in slices, keep an outcome
  for each (logged in the store as a row made from its entry, as a sync does; a list in
  memory, as the JSON-lines version's report), close;
- ``record``: record+commit alone, into a journal of as many rows, with a commit every 4, 512 or
  8,192 rows: CPU and wall per row and bytes the process wrote per row (``/proc/self/io``).

CPU is the process's own (``time.process_time``) after imports; RSS is ``ru_maxrss`` less the
RSS after imports; ``--tracemalloc`` adds the Python peak (and slows every row). Usage::

    python benchmarks/journal_store.py --files 200000
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("SUMMARY_CHROMS", "DETAILED_CHROMS", "SUMMARY_SUPERSET", "EXEC_ERRORS")
MD5 = "0123456789abcdef0123456789abcdef"
SLICE = 500


def rows(files: int, seed: int) -> Iterator[tuple[str, str]]:
    """``files`` (key, relative path) pairs of random-looking orders, the same for a seed."""
    for n in range(files // len(TYPES)):
        digest = hashlib.md5(f"{seed}-{n}".encode()).digest()
        order_id = str(uuid.UUID(bytes=digest, version=4))
        for result_type in TYPES:
            yield f"{order_id}/{result_type}", f"{order_id}/{order_id}_{result_type.lower()}.tsv"


def slices(files: int, seed: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for key, _ in rows(files, seed):
        chunk.append(key)
        if len(chunk) == SLICE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def legacy_module(revision: str) -> Any:
    """The JSON-lines journal module of ``revision``."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:galatea_async/_download/_journal.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "legacy_journal.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("legacy_journal", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(kind: str, folder: Path, files: int) -> None:
    """A folder whose journal of ``kind`` holds ``files`` rows."""
    lines = "".join(
        json.dumps({"key": key, "path": path, "size": 4096, "md5": MD5}) + "\n"
        for key, path in rows(files, seed=1)
    )
    name = ".galatea-manifest.jsonl"
    (folder / name).write_text(lines)
    if kind == "sqlite":
        from galatea_async._download._journal import Journal

        Journal.load(folder).close()  # imports the lines, then removes them


def plan(kind: str, folder: Path, files: int, revision: str) -> dict[str, float]:
    """Load, look up every key in slices, record ``files`` new rows, close."""
    if kind == "sqlite":
        from galatea_async._download._journal import Journal

        journal = Journal.load(folder)
        found = sum(len(journal.lookup(chunk)) for chunk in slices(files, seed=1))
        for key, path in rows(files, seed=2):
            journal.record(key, path, 4096, MD5)
        journal.close()
    else:
        legacy = legacy_module(revision).Journal.load(folder)
        found = sum(1 for chunk in slices(files, seed=1) for k in chunk if k in legacy.entries)
        for key, path in rows(files, seed=2):
            legacy.record(key, path, 4096, MD5)
        legacy.close()
    assert found == files, found
    return {}


def rerun(kind: str, folder: Path, files: int, revision: str) -> dict[str, float]:
    """A nothing-to-do rerun's share: load, look up every key in slices, keep an outcome for
    each (logged in the store, or a list as the JSON-lines version's report held), close."""
    from galatea_async import DownloadOutcome, DownloadRequest

    def outcome(key: str, path: str) -> DownloadOutcome:
        order_id, result_type = key.split("/")
        request = DownloadRequest(order_id=order_id, result_type=result_type)
        return DownloadOutcome(request, folder / path, skipped=True, size=4096, md5=MD5)

    if kind == "sqlite":
        from galatea_async._download._journal import Journal

        journal = Journal.load(folder)
        run = journal.start_run()
        for chunk in slices(files, seed=1):
            found = journal.lookup(chunk)
            # As a sync logs the files it keeps: rows made from the trusted entries.
            run.journalled(
                (*key.split("/"), None, entry.path, entry.size, entry.md5)  # type: ignore[misc]
                for key, entry in found.items()
            )
        kept = len(run.report([], seconds=0.0).skipped)
        journal.close()
    else:
        legacy = legacy_module(revision).Journal.load(folder)
        report = [
            outcome(key, legacy.entries[key].path)
            for chunk in slices(files, seed=1)
            for key in chunk
            if key in legacy.entries
        ]
        kept = len(report)
        legacy.close()
    assert kept == files, kept
    return {}


def record(kind: str, folder: Path, files: int, every: int) -> dict[str, float]:
    """Record ``files`` rows with a commit every ``every`` rows; bytes written per row."""
    from galatea_async._download._journal import Journal
    from galatea_async._download._journal_connection import StoreConnection

    StoreConnection.COMMIT_SECONDS = 3600.0  # commits where this loop says, not by age
    journal = Journal.load(folder)
    written = _written()
    for n, (key, path) in enumerate(rows(files, seed=3), 1):
        journal.record(key, path, 4096, MD5)
        if n % every == 0:
            journal.commit()
    journal.close()
    return {"bytes_per_row": (_written() - written) / files}


def _written() -> int:
    for entry in Path("/proc/self/io").read_text().splitlines():
        if entry.startswith("write_bytes:"):
            return int(entry.split()[1])
    return 0


def child(arguments: list[str]) -> None:
    """One step, in this process: ``prepare`` the folder, or measure a task and print its
    figures as JSON."""
    task, kind, folder, files, extra, traced = arguments
    count = int(files)
    if task == "prepare":
        prepare(kind, Path(folder), count)
        return
    import galatea_async._download._journal  # noqa: F401 - imports out of the figures
    from galatea_async._download import _journal_file

    if os.environ.get("JOURNAL_CACHE_KIB"):  # an A/B of the store's page cache
        _journal_file.CACHE_KIB = int(os.environ["JOURNAL_CACHE_KIB"])

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced == "1":
        tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    if task == "plan":
        figures = plan(kind, Path(folder), count, extra)
    elif task == "rerun":
        figures = rerun(kind, Path(folder), count, extra)
    else:
        figures = record(kind, Path(folder), count, int(extra))
    figures["cpu"] = time.process_time() - cpu
    figures["wall"] = time.perf_counter() - wall
    figures["rss_mib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline) / 1024
    if traced == "1":
        figures["python_peak_mib"] = tracemalloc.get_traced_memory()[1] / (1 << 20)
    print(json.dumps(figures))


def measure(task: str, kind: str, files: int, extra: str, traced: bool) -> dict[str, float]:
    """``task`` run in a process of its own on a folder a process before it prepared."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("JOURNAL_BENCH_DIR")) as folder:
        done = None
        for step in ("prepare", task):
            command = [sys.executable, __file__, "--child", step, kind, folder, str(files)]
            done = subprocess.run(
                [*command, extra, "1" if traced else "0"],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
    assert done is not None
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--legacy-rev", default="71f9d63")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", nargs=6)
    parser.add_argument(
        "--cache-kib", type=int, help="the SQLite page cache to measure with (an A/B)"
    )
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
        return
    files = arguments.files
    if arguments.cache_kib:
        os.environ["JOURNAL_CACHE_KIB"] = str(arguments.cache_kib)
    print(f"| {files:,} rows | CPU s | wall s | RSS MiB | Python peak MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for task in ("plan", "rerun"):
        for kind in ("json-lines", "sqlite"):
            got = measure(task, kind, files, arguments.legacy_rev, arguments.tracemalloc)
            peak = got.get("python_peak_mib")
            print(
                f"| {task} {kind} | {got['cpu']:.2f} | {got['wall']:.2f} | "
                f"{got['rss_mib']:.1f} | {'-' if peak is None else f'{peak:.1f}'} |"
            )
    print()
    print("| record+commit, sqlite | CPU us/row | wall us/row | bytes written/row |")
    print("| --- | ---: | ---: | ---: |")
    for every in (4, 512, 8192):
        got = measure("record", "sqlite", min(files, 40_000), str(every), False)
        per = 1e6 / min(files, 40_000)
        print(
            f"| commit every {every} | {got['cpu'] * per:.1f} | {got['wall'] * per:.0f} | "
            f"{got['bytes_per_row']:.0f} |"
        )


if __name__ == "__main__":
    main()
