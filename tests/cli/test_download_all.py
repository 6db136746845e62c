"""``galatea results download-all`` and ``galatea demo``: complete, verified and resumable."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from galatea_async._download._journal import JOURNAL_NAME as MANIFEST_NAME
from galatea_async._download._journal_file import open_store_for_reading
from galatea_async._download._partials import sidecar_of
from tests.cli.conftest import ROOT, ServedEmulator, run_galatea

# The downloads go through the transport GALATEA_TRANSPORT picks: run on both.
pytestmark = [pytest.mark.usefixtures("transport_kind"), pytest.mark.slow]

GALATEA = [sys.executable, "-m", "galatea_async.cli"]


def planned_keys(served: ServedEmulator, *result_types: str) -> set[str]:
    """What download-all should fetch: every result type of every completed order."""
    listed = served.invoke("--json", "orders", "list", "--status-group", "completed")
    return {
        f"{order['id']}/{result_type}"
        for order in json.loads(listed.stdout)
        for result_type in order["result_types"]
        if not result_types or result_type in result_types
    }


def keys(entries: list[dict[str, Any]]) -> set[str]:
    return {f"{entry['order_id']}/{entry['result_type']}" for entry in entries}


def assert_files_match_listing(listed: list[dict[str, Any]], dest: Path) -> None:
    for entry in listed:
        path = Path(entry["path"])
        assert path.parent == dest / entry["order_id"]
        body = path.read_bytes()
        assert len(body) == entry["size"]
        assert hashlib.md5(body).hexdigest() == entry["md5"]


def server_md5(served: ServedEmulator, entry: dict[str, Any]) -> str:
    """The md5 of the file as the server sends it, fetched without the SDK."""
    digest = hashlib.md5()
    with httpx.stream(
        "GET",
        f"{served.base_url}/api/v1/data/results/{entry['order_id']}/download",
        params={"result_type": entry["result_type"]},
        headers={"Authorization": f"Bearer {served.emulator.api_key}"},
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            digest.update(chunk)
    return digest.hexdigest()


def test_download_all_fetches_each_result_into_its_order_folder(
    served: ServedEmulator, tmp_path: Path
) -> None:
    dest = tmp_path / "results"
    result = served.invoke(
        "--json", "results", "download-all", "--dest", str(dest), "--result-type", "SUMMARY_CHROMS"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert keys(summary["downloaded"]) == planned_keys(served, "SUMMARY_CHROMS")
    assert summary["failed"] == []
    assert_files_match_listing(summary["downloaded"], dest)
    for entry in summary["downloaded"][:3]:
        assert server_md5(served, entry) == entry["md5"]


def test_second_run_skips_finished_files_without_a_request(
    served: ServedEmulator, tmp_path: Path
) -> None:
    args = ("results", "download-all", "--dest", str(tmp_path), "--result-type", "EXEC_ERRORS")
    args += ("--result-type", "SUMMARY_SUPERSET")
    first = json.loads(served.invoke("--json", *args).stdout)
    assert first["downloaded"]
    before = len(served.download_requests())

    second = served.invoke(*args)
    assert second.exit_code == 0, second.output
    assert "skipped" in second.stdout
    assert len(served.download_requests()) == before
    rerun = json.loads(served.invoke("--json", *args).stdout)
    assert rerun["downloaded"] == []
    assert keys(rerun["skipped"]) == keys(first["downloaded"])


def test_a_failed_item_exits_1_names_it_and_a_rerun_fetches_only_what_failed(
    served: ServedEmulator, tmp_path: Path
) -> None:
    wanted = sorted(planned_keys(served, "SUMMARY_CHROMS"))
    broken_order = wanted[0].split("/")[0]
    served.in_loop(
        lambda: served.emulator.faults.fail_next(
            20, 500, path=f"/data/results/{broken_order}/download"
        )
    )
    args = ("results", "download-all", "--dest", str(tmp_path), "--result-type", "SUMMARY_CHROMS")
    first = served.invoke(*args)
    assert first.exit_code == 1
    assert f"1 of {len(wanted)} downloads failed: {broken_order}/SUMMARY_CHROMS" in first.stderr
    assert "Traceback" not in first.output

    served.in_loop(served.emulator.faults.reset)
    before = len(served.download_requests())
    second = served.invoke("--json", *args)
    assert second.exit_code == 0, second.output
    assert served.download_requests()[before:] == [f"{broken_order}/SUMMARY_CHROMS"]


def test_files_already_on_disk_are_kept_when_the_manifest_is_gone(
    served: ServedEmulator, tmp_path: Path
) -> None:
    args = ("results", "download-all", "--dest", str(tmp_path), "--result-type", "SUMMARY_CHROMS")
    first = json.loads(served.invoke("--json", *args).stdout)
    (tmp_path / MANIFEST_NAME).unlink()
    second = json.loads(served.invoke("--json", *args).stdout)
    assert second["downloaded"] == []
    assert keys(second["skipped"]) == keys(first["downloaded"])
    assert (tmp_path / MANIFEST_NAME).exists()


def test_download_all_filters_by_tag(served: ServedEmulator, tmp_path: Path) -> None:
    tags = json.loads(served.invoke("--json", "tags", "list", "--name", "Research").stdout)
    tag_id = tags[0]["id"]
    orders = json.loads(
        served.invoke(
            "--json", "orders", "list", "--status-group", "completed", "--tag", tag_id
        ).stdout
    )
    result = served.invoke(
        "--json",
        "results",
        "download-all",
        "--dest",
        str(tmp_path),
        "--tag",
        tag_id,
        "--result-type",
        "SUMMARY_SUPERSET",
    )
    assert result.exit_code == 0, result.output
    fetched = {entry["order_id"] for entry in json.loads(result.stdout)["downloaded"]}
    assert fetched
    assert fetched <= {order["id"] for order in orders}


def test_download_all_in_a_subprocess_matches_the_servers_files(
    served: ServedEmulator, tmp_path: Path
) -> None:
    dest = tmp_path / "all"
    run = run_galatea(
        "--json",
        "results",
        "download-all",
        "--dest",
        str(dest),
        env=served.environment(),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no progress noise when not on a terminal
    summary = json.loads(run.stdout)
    assert keys(summary["downloaded"]) == planned_keys(served)
    assert_files_match_listing(summary["downloaded"], dest)
    one_of_each_type = {entry["result_type"]: entry for entry in summary["downloaded"]}
    for entry in one_of_each_type.values():
        assert server_md5(served, entry) == entry["md5"]
    assert _manifest_keys(dest) == keys(summary["downloaded"])


# Each signal once and each transport once: both signals cancel the command's task group the
# same way (only the exit code and last line differ), and the transport decides how the
# transfers in flight are cut.
@pytest.mark.parametrize(
    ("transport_kind", "stop", "exit_code", "last_line"),
    [
        ("aiohttp", signal.SIGINT, 130, "error: interrupted"),
        ("httpx", signal.SIGTERM, 143, "error: terminated"),
    ],
    indirect=["transport_kind"],
)
def test_interrupted_download_all_resumes_without_refetching_finished_files(
    served: ServedEmulator, tmp_path: Path, stop: signal.Signals, exit_code: int, last_line: str
) -> None:
    dest = tmp_path / "resumed"
    served.in_loop(served.emulator.faults.bandwidth, 2_000_000)
    process = subprocess.Popen(
        [*GALATEA, "results", "download-all", "--dest", str(dest), "--concurrency", "2"],
        env=served.environment(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Interrupt once some files are finished and others are mid-transfer.
        deadline = time.monotonic() + 30
        while not (
            len(_manifest_keys(dest)) >= 3
            and served.in_loop(lambda: served.emulator.active_downloads)
        ):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "download-all never got going"
            time.sleep(0.02)
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == exit_code, stderr
    assert stderr.strip().splitlines()[-1] == last_line
    finished = _manifest_keys(dest)
    assert finished
    # A partial is left only to be resumed: with the sidecar that says what it is a prefix of.
    unresumable = [p for p in dest.rglob("*.part") if not sidecar_of(p).is_file()]
    assert not unresumable, "an interrupted download left a partial file it cannot resume"

    served.in_loop(served.emulator.faults.bandwidth, None)
    before = len(served.download_requests())
    rerun = run_galatea(
        "--json",
        "results",
        "download-all",
        "--dest",
        str(dest),
        env=served.environment(),
        cwd=tmp_path,
    )
    assert rerun.returncode == 0, rerun.stderr
    refetched = set(served.download_requests()[before:])
    assert not refetched & finished, "finished files were downloaded again"
    summary = json.loads(rerun.stdout)
    assert keys(summary["skipped"]) >= finished
    assert keys(summary["downloaded"]) | keys(summary["skipped"]) == planned_keys(served)


def _active_downloads(served: ServedEmulator) -> int:
    return served.in_loop(lambda: served.emulator.active_downloads)


def _manifest_keys(dest: Path) -> set[str]:
    """The keys journalled so far, read without opening the journal for writing (the command
    may be writing it): none while it does not exist yet or is busy."""
    try:
        connection = open_store_for_reading(dest / MANIFEST_NAME)
    except FileNotFoundError:
        return set()
    with contextlib.closing(connection):
        try:
            return {key for (key,) in connection.execute("SELECT key FROM files")}
        except sqlite3.Error:
            return set()


# The demo on the default transport, as a newcomer runs it; the subprocess download-all above
# runs the same engine on both.
@pytest.mark.parametrize("transport_kind", ["aiohttp"], indirect=True)
@pytest.mark.timeout(120)
def test_demo_downloads_every_completed_result_and_resumes(tmp_path: Path) -> None:
    environment = {
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
        "GALATEA_TRANSPORT": os.environ["GALATEA_TRANSPORT"],
    }
    dest = tmp_path / "demo-results"
    run = run_galatea("--json", "demo", "--dest", str(dest), env=environment, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert len(summary["downloaded"]) >= 30
    assert summary["failed"] == []
    assert_files_match_listing(summary["downloaded"], dest)

    again = run_galatea("demo", "--dest", str(dest), env=environment, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stdout
    assert "Traceback" not in again.stderr
