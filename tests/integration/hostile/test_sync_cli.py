"""``galatea results download-all`` over a listing whose order ids are not UUIDs: the other
orders are mirrored, the bad one is reported as failed (exit 1), and nothing is created
outside the folder given.

The CLI runs its own event loop, so this test is synchronous and the hostile server runs on a
loop of its own thread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from galatea_async.cli import cli
from tests.integration.hostile.checks import API_KEY, assert_no_canary
from tests.integration.hostile.folders import Snapshot, changed_outside, temporary_files
from tests.integration.hostile.scripts import new_id
from tests.integration.hostile.server import serve_in_thread
from tests.integration.hostile.sync_support import DOWNLOADS, Result, serve_orders, serve_results

DATA = hashlib.shake_256(b"cli").digest(1000)


def test_download_all_mirrors_the_good_orders_and_creates_nothing_outside_dest(
    tmp_path: Path,
    transport_kind: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("GALATEA_TRANSPORT", transport_kind)
    dest = tmp_path / "out"
    bad, good = "../escaped", new_id()  # dest/../escaped is tmp_path/escaped: watched
    results = [
        Result(bad, "SUMMARY_CHROMS", "summary.tsv", DATA),
        Result(good, "SUMMARY_CHROMS", "summary.tsv", DATA),
    ]
    before = Snapshot.of(tmp_path)
    with serve_in_thread() as server:
        serve_orders(server, results)
        serve_results(server, results)
        result = CliRunner().invoke(
            cli,
            ["--config", str(tmp_path / "config.toml"), "--base-url", server.base_url,
             "--api-key", API_KEY, "results", "download-all", "--dest", str(dest)],
            catch_exceptions=False,
        )  # fmt: skip
        downloads = server.count("GET", DOWNLOADS)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "not a canonical UUID" in result.stderr
    assert (dest / good / "summary.tsv").read_bytes() == DATA
    assert downloads == 1
    assert [c for c in changed_outside(before, dest) if not c.startswith("config.toml")] == []
    assert temporary_files(dest) == []
    assert_no_canary([result.output, result.stdout, result.stderr], caplog.text)
