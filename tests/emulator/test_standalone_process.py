"""The standalone emulator as its own process: ``python -m galatea_async.emulator`` and
``galatea emulator`` take the same flags, print the same banner, fail in one line when the
port is taken, and deliver signed webhooks to an app in another process."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from galatea_async import webhooks
from galatea_async.emulator._content import genotype_file

ROOT = Path(__file__).resolve().parents[2]
MODULE = [sys.executable, "-m", "galatea_async.emulator"]
COMMAND = [sys.executable, "-m", "galatea_async.cli", "emulator"]
ENTRY_POINTS = pytest.mark.parametrize("entry_point", [MODULE, COMMAND], ids=["module", "cli"])
BANNER_LINES = 8


def _environment() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


@contextmanager
def running(*command: str) -> Iterator[subprocess.Popen[str]]:
    """The emulator started by ``command``; killed after the block."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
        cwd=ROOT,
    )
    try:
        yield process
    finally:
        process.kill()
        process.communicate(timeout=20)


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str | None]]]]:
    """An HTTP server on 127.0.0.1 in this process: its URL, and what was POSTed to it."""
    received: queue.Queue[tuple[bytes, str | None]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put((body, self.headers.get("x-octopod-signature")))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()


def _banner(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    return [process.stdout.readline().rstrip("\n") for _ in range(BANNER_LINES)]


def test_both_entry_points_print_the_same_banner() -> None:
    banners = []
    for entry_point in (MODULE, COMMAND):
        with running(*entry_point, "--port", "0", "--time-scale", "0") as process:
            lines = _banner(process)
        base_url = lines[1].split("=", 1)[1]
        banners.append([line.replace(base_url, "BASE_URL") for line in lines])
    assert banners[0] == banners[1]
    assert banners[0][0] == (
        "Galatea emulator on BASE_URL: the demo lab, a clock that stands still"
    )
    assert banners[0][-1] == "Press Ctrl-C to stop."


@ENTRY_POINTS
def test_a_port_in_use_is_one_error_line_and_exit_1(entry_point: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*entry_point, "--port", str(port)],
            capture_output=True,
            text=True,
            env=_environment(),
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: the port is in use; "
        "stop what uses it, or pass --port 0 for a free one\n"
    )


def _make_an_upload_validate(details: dict[str, str]) -> str:
    """Upload a genotype file over the API and move the clock past its validation."""
    headers = {"Authorization": f"Bearer {details['api_key']}"}
    with httpx.Client(base_url=details["base_url"], timeout=20) as api:
        content = genotype_file("cross-process.txt", 4000).read(0, 4000)
        uploaded = api.post(
            "/api/v1/data/files/upload",
            files={"file": ("cross-process.txt", content)},
            headers=headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        assert api.post("/_emulator/clock/advance", json={"seconds": 3600}).status_code == 200
        secret = api.get("/api/v1/users/me", headers=headers).json()["org"]["webhooks_secret"]
    file_id: str = uploaded.json()["id"]
    return f"{file_id} {secret}"


def _verified_event(
    received: queue.Queue[tuple[bytes, str | None]], secret: str, sender_host: str
) -> webhooks.WebhookEvent:
    body, signature = received.get(timeout=30)
    return webhooks.parse_event(body, signature, secret=secret, sender_host=sender_host)


@pytest.mark.slow
@ENTRY_POINTS
def test_webhook_url_flag_sends_signed_events_to_another_process(entry_point: list[str]) -> None:
    with webhook_receiver() as (url, received), running(
        *entry_point, "--json", "--no-demo", "--port", "0", "--time-scale", "0",
        "--webhook-url", url,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        details = json.loads(process.stdout.readline())
        assert details["webhook_urls"] == [url]
        file_id, secret = _make_an_upload_validate(details).split(" ")
        event = _verified_event(received, secret, details["sender_host"])
    assert isinstance(event, webhooks.FileValidatedEvent)
    assert (event.source_file_id, event.new_status) == (file_id, "VALID")


def test_webhooks_control_endpoint_points_a_running_emulator_at_an_app() -> None:
    with (
        webhook_receiver() as (url, received),
        running(*MODULE, "--json", "--no-demo", "--port", "0", "--time-scale", "0") as process,
    ):
        assert process.stdout is not None
        details = json.loads(process.stdout.readline())
        assert details["webhook_urls"] == []
        with httpx.Client(base_url=details["base_url"], timeout=20) as control:
            refused = control.post("/_emulator/webhooks", json={"urls": ["ftp://nowhere"]})
            assert refused.status_code == 400
            assert "ftp://nowhere" in refused.json()["detail"]
            pointed = control.post("/_emulator/webhooks", json={"urls": [url]})
            assert pointed.json()["urls"] == [url]
            file_id, secret = _make_an_upload_validate(details).split(" ")
            event = _verified_event(received, secret, details["sender_host"])
    assert isinstance(event, webhooks.FileValidatedEvent)
    assert event.source_file_id == file_id
