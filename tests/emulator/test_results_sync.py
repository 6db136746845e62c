"""``results.sync`` against the emulator over TCP, on both transports: a folder mirrored once,
kept up to date without re-downloading, repaired when files go missing or change, and never
left with a temporary file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import anyio
import pytest

import galatea_async._download._durability as durability
import galatea_async._download._journal as journal_module
from galatea_async import AsyncGalatea, DownloadOutcome, GalateaError, ResultType, TransferOptions
from galatea_async._download._journal import JOURNAL_NAME, Journal
from galatea_async._download._journal_legacy import LEGACY_JOURNAL_NAME
from galatea_async.emulator import Emulator

SIZES = {"SUMMARY_CHROMS": 3000, "DETAILED_CHROMS": 70_000, "SUMMARY_SUPERSET": 1500}


def downloads(emulator: Emulator) -> list[str]:
    """The paths of the download requests the emulator answered so far."""
    return [r.path for r in emulator.requests if r.path.endswith("/download")]


def add_orders(emulator: Emulator, count: int) -> list[str]:
    return [emulator.add_order(result_sizes=SIZES) for _ in range(count)]


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


async def test_first_run_mirrors_every_result_and_journals_it(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    orders = add_orders(emulator, 3)
    seen: list[tuple[str, int, int | None]] = []
    report = await live_client.results.sync(
        tmp_path,
        concurrency=4,
        file_progress=lambda request, done, total: seen.append((request.order_id, done, total)),
    )
    assert report.ok
    assert report.skipped == []
    per_order = len((await live_client.orders.get(orders[0])).result_types)
    assert len(report.downloaded) == 3 * per_order
    assert report.downloaded_bytes == sum(o.size or 0 for o in report.downloaded)
    for outcome in report.downloaded:
        assert outcome.path is not None
        assert outcome.path.parent == tmp_path / outcome.request.order_id
        assert outcome.md5 == md5_of(outcome.path)
    journal = Journal.load(tmp_path)
    assert len(journal.entries) == len(report.downloaded)
    assert {order_id for order_id, _, _ in seen} == set(orders)
    assert not [name for name in files_under(tmp_path) if name.endswith(".part")]


async def test_second_run_sends_no_download_request(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    add_orders(emulator, 2)
    first = await live_client.results.sync(tmp_path)
    before = len(downloads(emulator))
    second = await live_client.results.sync(tmp_path)
    assert len(downloads(emulator)) == before
    assert second.downloaded == []
    assert sorted(str(o.path) for o in second.skipped) == sorted(
        str(o.path) for o in first.downloaded
    )
    assert second.skipped_bytes == first.downloaded_bytes


@pytest.mark.parametrize("damage", ["delete", "truncate"])
async def test_a_file_deleted_or_truncated_locally_is_fetched_again(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, damage: str
) -> None:
    add_orders(emulator, 2)
    first = await live_client.results.sync(tmp_path)
    victim = first.downloaded[1].path
    assert victim is not None
    original = victim.read_bytes()
    if damage == "delete":
        victim.unlink()
    else:
        victim.write_bytes(original[:100])
    before = len(downloads(emulator))
    second = await live_client.results.sync(tmp_path)
    assert len(downloads(emulator)) == before + 1
    assert [o.path for o in second.downloaded] == [victim]
    assert victim.read_bytes() == original


async def test_verify_rehashes_and_refetches_a_same_size_corrupted_file(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    add_orders(emulator, 1)
    first = await live_client.results.sync(tmp_path)
    victim = first.downloaded[0].path
    assert victim is not None
    original = victim.read_bytes()
    victim.write_bytes(bytes(len(original)))  # same size, other bytes
    unverified = await live_client.results.sync(tmp_path)
    assert unverified.downloaded == []  # sizes match: without verify it is trusted
    verified = await live_client.results.sync(tmp_path, verify=True)
    assert [o.path for o in verified.downloaded] == [victim]
    assert victim.read_bytes() == original


async def test_a_cancelled_run_leaves_no_temporary_file_and_the_next_completes_it(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    add_orders(emulator, 4)
    finished: list[str] = []
    with anyio.CancelScope() as scope:

        def cancel_after_three(request: object, done: int, total: int | None) -> None:
            if total is not None and done == total:
                finished.append(str(request))
                if len(finished) == 3:
                    scope.cancel()

        await live_client.results.sync(tmp_path, concurrency=2, file_progress=cancel_after_three)
    assert scope.cancelled_caught
    assert not [name for name in files_under(tmp_path) if name.endswith(".part")]
    completed = await live_client.results.sync(tmp_path, concurrency=2)
    assert completed.ok
    assert len(completed.skipped) >= 3  # what the cancelled run finished is kept
    assert completed.downloaded  # and the rest is fetched
    everything = await live_client.results.sync(tmp_path)
    assert everything.downloaded == []
    assert len(everything.skipped) == len(completed.downloaded) + len(completed.skipped)


async def test_a_killed_runs_temporary_files_are_removed_by_the_next(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    (order,) = add_orders(emulator, 1)
    leftover = tmp_path / order / ".x_summary_chroms.tsv.0123456789ab.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a file")
    report = await live_client.results.sync(tmp_path)
    assert report.ok
    assert not leftover.exists()


async def test_orders_completed_between_runs_are_picked_up(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    add_orders(emulator, 1)
    late = emulator.add_order(result_sizes=SIZES, status="Running")
    first = await live_client.results.sync(tmp_path)
    assert {o.request.order_id for o in first.downloaded} != {late}
    emulator.set_order_status(late, "Completed")
    second = await live_client.results.sync(tmp_path)
    assert second.downloaded
    assert {o.request.order_id for o in second.downloaded} == {late}


async def test_a_failed_item_is_reported_while_the_rest_finish(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    broken, *fine = add_orders(emulator, 3)
    per_order = len((await live_client.orders.get(broken)).result_types)
    emulator.faults.fail_next(per_order, 404, path=f"/data/results/{broken}/download")
    report = await live_client.results.sync(tmp_path)
    assert not report.ok
    assert {o.request.order_id for o in report.failed} == {broken}
    assert all(isinstance(o, DownloadOutcome) and o.error is not None for o in report.failed)
    assert {o.request.order_id for o in report.downloaded} == set(fine)
    keys = set(Journal.load(tmp_path).entries)
    assert not [key for key in keys if key.startswith(broken)]
    again = await live_client.results.sync(tmp_path)  # only the failed ones are fetched
    assert {o.request.order_id for o in again.downloaded} == {broken}


async def test_a_journal_line_is_written_only_once_its_file_is_durable(
    emulator: Emulator,
    live_client: AsyncGalatea,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_orders(emulator, 2)
    synced: list[Path] = []
    monkeypatch.setattr(durability, "fsync_directory", synced.append)
    real_record = Journal.record
    checked: list[str] = []

    def record(self: Journal, key: str, relative: str, size: int, md5: str) -> object:
        path = tmp_path / relative
        assert path.is_file()
        assert path.stat().st_size == size
        assert md5_of(path) == md5
        assert path.parent in synced  # its new name is durable before the line is written
        checked.append(key)
        return real_record(self, key, relative, size, md5)

    monkeypatch.setattr(journal_module.Journal, "record", record)
    live_client.transfer_options = TransferOptions(fsync=True)
    report = await live_client.results.sync(tmp_path)
    assert len(checked) == len(report.downloaded)


async def test_pdf_reports_are_fetched_and_verified(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    order = emulator.add_order(
        model="prs clinical model",
        result_sizes={"PRS_JSON_DATA": 2000},
        pdf_report_types=["PRS_CLINICAL_CARDIO", "PRS_CLINICAL_CANCER"],
        pdf_metadata={"patient_name": "Ada", "sex": "Female", "dob": "1980-01-30"},
        report_size=20_000,
    )
    reports = [r async for r in live_client.results.pdf_reports(order)]
    report = await live_client.results.sync(
        tmp_path, pdf_reports=True, result_types=[ResultType.PRS_JSON_DATA]
    )
    assert report.ok
    fetched = {o.request.pdf_request_id for o in report.downloaded if o.request.pdf_request_id}
    assert fetched == {r.id for r in reports}
    for outcome in report.downloaded:
        if outcome.request.pdf_request_id:
            listed = next(r for r in reports if r.id == outcome.request.pdf_request_id)
            assert outcome.md5 == listed.check_sum
    keys = set(Journal.load(tmp_path).entries)
    assert {f"{order}/PDF_REPORT/{r.id}" for r in reports} <= keys


async def test_a_download_all_manifest_of_an_earlier_version_is_read_as_it_is(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    add_orders(emulator, 1)
    first = await live_client.results.sync(tmp_path)
    lines = [
        json.dumps({"key": f"{o.request.order_id}/{o.request.result_type.value}",
                    "path": str(o.path.relative_to(tmp_path)) if o.path else "",
                    "size": o.size, "md5": o.md5})
        for o in first.downloaded
    ]  # fmt: skip
    (tmp_path / JOURNAL_NAME).unlink()  # the folder as an earlier version left it
    (tmp_path / LEGACY_JOURNAL_NAME).write_text("\n".join(lines) + "\n{torn line", encoding="utf-8")
    before = len(downloads(emulator))
    again = await live_client.results.sync(tmp_path)
    assert len(downloads(emulator)) == before
    assert len(again.skipped) == len(first.downloaded)
    assert not (tmp_path / LEGACY_JOURNAL_NAME).exists()  # imported, then removed


async def test_two_syncs_into_one_folder_at_once_are_refused(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    import fcntl
    import os

    add_orders(emulator, 1)
    fd = os.open(tmp_path / ".galatea-sync.lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(GalateaError, match=r"another results.sync is writing into"):
            await live_client.results.sync(tmp_path)
    finally:
        os.close(fd)
    assert (await live_client.results.sync(tmp_path)).ok
