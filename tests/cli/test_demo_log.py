"""``galatea demo --jsonl``: the demo run's events, one JSON object per line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from galatea_async.cli import cli


def test_demo_jsonl_logs_every_file_then_the_summary(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    result = CliRunner().invoke(
        cli,
        ["--config", str(tmp_path / "c.toml"), "demo", "--dest", str(dest), "--jsonl"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    done = [e for e in events if e["event"] == "file_done"]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert len(done) == len(summary["downloaded"]) >= 30
    assert {e["path"] for e in done} == {entry["path"] for entry in summary["downloaded"]}
    assert all(Path(e["path"]).stat().st_size == e["size"] for e in done)
