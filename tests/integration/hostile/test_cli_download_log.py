"""``galatea results download-all`` off a terminal logs as it goes: a line per file as soon as
it is done, so a run ended by SIGTERM or SIGINT has already logged what it completed; ``--jsonl`` makes
each line a JSON event, parseable while the run goes on.

One order's download hangs for ever, so the run never ends by itself; the others are whole.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.hostile.scripts import answer, new_id, order, page, serve_file
from tests.integration.hostile.server import HostileServer, Reply, Request

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "download-log-api-key-0123"
DATA = b"chrom\tpos\n" * 100
# How long a test waits for a line it expects before failing (never reached when it works).
LINE_DEADLINE = 30.0


async def hang(request: Request, reply: Reply) -> None:
    await reply.hang()


def serve_two_whole_and_one_hanging(server: HostileServer) -> tuple[list[str], str]:
    whole = [new_id(), new_id()]
    stuck = new_id()
    server.on("GET", "exec/orders", answer(page([order(i) for i in [*whole, stuck]])))
    for order_id in whole:
        server.on(
            "GET", f"data/results/{order_id}/download", serve_file(DATA, filename="summary.tsv")
        )
    server.on("GET", f"data/results/{stuck}/download", hang)
    return whole, stuck


@pytest.fixture
def log_lines() -> Iterator[Callable[[subprocess.Popen[str]], queue.Queue[str]]]:
    """Lines of a subprocess's stdout, as they arrive, read by a thread."""
    readers: list[threading.Thread] = []

    def start(process: subprocess.Popen[str]) -> queue.Queue[str]:
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        readers.append(reader)
        return lines

    yield start
    for reader in readers:
        reader.join(timeout=LINE_DEADLINE)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("mode", "stop", "exit_code"),
    [([], signal.SIGTERM, 143), (["--jsonl"], signal.SIGINT, 130)],
    ids=["text-sigterm", "jsonl-sigint"],
)
def test_files_done_are_logged_before_a_signal_ends_the_run(
    threaded_server: HostileServer,
    transport_kind: str,
    tmp_path: Path,
    log_lines: Callable[[subprocess.Popen[str]], queue.Queue[str]],
    mode: list[str],
    stop: signal.Signals,
    exit_code: int,
) -> None:
    whole, stuck = serve_two_whole_and_one_hanging(threaded_server)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GALATEA_")},
        "GALATEA_TRANSPORT": transport_kind,
        "PYTHONPATH": str(ROOT),
    }
    dest = tmp_path / "results"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "galatea_async.cli", "--config", str(tmp_path / "c.toml"),
            "--base-url", threaded_server.base_url, "--api-key", API_KEY,
            "results", "download-all", "--dest", str(dest), *mode,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    try:
        lines = log_lines(process)
        logged = []
        while len(logged) < 2:
            try:
                logged.append(lines.get(timeout=LINE_DEADLINE))
            except queue.Empty:
                pytest.fail(f"no line per finished file while the run goes on: {logged}")
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=LINE_DEADLINE)
    finally:
        process.kill()
    assert process.returncode == exit_code, stderr
    if mode:
        events = [json.loads(line) for line in logged]
        assert {e["event"] for e in events} == {"file_done"}
        assert sorted(e["order_id"] for e in events) == sorted(whole)
        assert all(Path(e["path"]).read_bytes() == DATA for e in events)
    else:
        assert all(line.startswith("downloaded ") for line in logged)
        assert sorted(Path(line.split(" ", 1)[1].strip()).parent.name for line in logged) == sorted(
            whole
        )
    assert stuck not in "".join(logged)


def test_jsonl_ends_with_a_summary_event_and_every_line_parses(
    threaded_server: HostileServer, galatea: Callable[..., Result], tmp_path: Path
) -> None:
    whole = [new_id(), new_id()]
    failing = new_id()
    threaded_server.on("GET", "exec/orders", answer(page([order(i) for i in [*whole, failing]])))
    for order_id in whole:
        threaded_server.on(
            "GET", f"data/results/{order_id}/download", serve_file(DATA, filename="summary.tsv")
        )
    result = galatea(
        "--base-url", threaded_server.base_url, "--api-key", API_KEY,
        "results", "download-all", "--dest", str(tmp_path / "results"), "--jsonl",
    )  # fmt: skip
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(e["event"] for e in events[:-1]) == ["file_done", "file_done", "file_failed"]
    failed = next(e for e in events if e["event"] == "file_failed")
    assert failed["order_id"] == failing and failed["error"]["type"] == "NotFoundError"
    summary = events[-1]
    assert summary["event"] == "summary"
    assert len(summary["downloaded"]) == 2 and len(summary["failed"]) == 1


def test_json_and_jsonl_together_are_a_usage_error(
    galatea: Callable[..., Result], tmp_path: Path
) -> None:
    result = galatea(
        "--base-url", "http://127.0.0.1:9", "--api-key", API_KEY, "--json",
        "results", "download-all", "--dest", str(tmp_path), "--jsonl",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--jsonl" in result.stderr
