"""The sync journal's SQLite page cache is bounded small: a rerun of 200,000 files costs the
same CPU with 2 MiB as with 8 MiB (``benchmarks/journal_store.py --cache-kib``) and its RSS
stays flat instead of growing by the difference as the journal outgrows the cache."""

from __future__ import annotations

from pathlib import Path

from galatea_async._download._journal import Journal


def test_the_journal_caches_at_most_two_mib_of_pages(tmp_path: Path) -> None:
    journal = Journal.load(tmp_path)
    try:
        ((pages,),) = journal._store.read("PRAGMA cache_size")
        ((page_size,),) = journal._store.read("PRAGMA page_size")
    finally:
        journal.close()
    cached = -pages * 1024 if pages < 0 else pages * page_size
    assert 0 < cached <= 2 << 20
