"""What the ``galatea`` command prints when the server is hostile (echoed patient fields,
credentials in the base URL, a connection failure): one ``error:`` line, the documented exit code, and no patient value or
credential, with ``--json`` and without.

The CLI runs its own event loop, so these tests are synchronous and the hostile server runs
on a loop of its own thread.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from galatea_async.cli import cli
from tests.integration.hostile.checks import API_KEY, EMAIL, PASSWORD, PATIENT, assert_no_canary
from tests.integration.hostile.scripts import ORG_ID, answer, me, new_id, page
from tests.integration.hostile.server import HostileServer, serve_in_thread
from tests.integration.hostile.test_patient_echo import ECHOES

Galatea = Callable[..., Result]
MODES = [pytest.param([], id="table"), pytest.param(["--json"], id="json")]


@pytest.fixture
def threaded_server() -> Iterator[HostileServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def galatea(tmp_path: Path, transport_kind: str, monkeypatch: pytest.MonkeyPatch) -> Galatea:
    """``galatea(*args)``: the command run in-process, on the transport under test."""
    monkeypatch.setenv("GALATEA_TRANSPORT", transport_kind)
    config = tmp_path / "config.toml"

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    return run


def everything_printed(result: Result) -> list[str]:
    return [result.output, result.stdout, result.stderr]


def the_error(result: Result, exit_code: int, mode: list[str]) -> tuple[str | None, str]:
    """The error's type (``--json`` only) and message, once its documented shape is checked:
    one ``error:`` line on stderr, or with ``--json`` one ``{"error": {...}}`` object there."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    if "--json" in mode:
        assert result.stdout == ""
        error = json.loads(result.stderr)["error"]
        return str(error["type"]), str(error["message"])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return None, lines[0]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- 10.6: the patient echo -----------------------------------------------------------------------

CLI_SHAPES = ["field-errors", "nested-detail", "key-value-text"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", CLI_SHAPES)
def test_submit_echoing_patient_values_prints_none_of_them(
    threaded_server: HostileServer, galatea: Galatea, caplog: pytest.LogCaptureFixture,
    shape: str, mode: list[str],
) -> None:  # fmt: skip
    server = threaded_server
    server.on("GET", "users/me", answer(me()))
    server.on(
        "GET",
        f"organizations/{ORG_ID}/models",
        answer([{"name": "prs clinical model", "deprecated": False}]),
    )
    server.on("GET", "exec/orders", answer(page([])))
    server.on("POST", "exec/orders", answer(ECHOES[shape], status=400))
    result = galatea(
        "--base-url", server.base_url, "--api-key", API_KEY, *mode,
        "orders", "submit", new_id(), "--model", "prs clinical model",
        "--pdf-report-type", "PRS_CLINICAL_CANCER", "--pdf-metadata", json.dumps(PATIENT),
    )  # fmt: skip
    kind, message = the_error(result, 1, mode)
    assert kind in (None, "BadRequestError")
    assert "400" in message
    assert server.count("POST", "exec/orders") == 1
    assert_no_canary(everything_printed(result), caplog.text)


# -- a connection failure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "mode"),
    [("password", []), ("api-key", ["--json"])],
    ids=["password-table", "api-key-json"],
)
def test_connection_failure_prints_no_credential(
    galatea: Galatea, caplog: pytest.LogCaptureFixture, mode: list[str], credentials: str
) -> None:
    login = ["--api-key", API_KEY] if credentials == "api-key" else ["--email", EMAIL, "--password", PASSWORD]  # fmt: skip
    base_url = f"http://127.0.0.1:{closed_port()}"
    result = galatea("--base-url", base_url, *login, *mode, "org", "info")
    kind, message = the_error(result, 1, mode)
    assert kind in (None, "APIConnectionError")
    assert "could not connect" in message
    assert_no_canary(everything_printed(result), caplog.text)


# -- 10.15: credentials in the base URL -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_base_url_with_a_password_is_a_usage_error_that_hides_it(
    galatea: Galatea, caplog: pytest.LogCaptureFixture, mode: list[str]
) -> None:
    base_url = f"http://someone:{PASSWORD}@127.0.0.1:{closed_port()}"
    result = galatea("--base-url", base_url, "--api-key", API_KEY, *mode, "org", "info")
    kind, message = the_error(result, 2, mode)
    assert kind in (None, "ValueError")
    assert "base_url must not carry a user name or password" in message
    assert_no_canary(everything_printed(result), caplog.text)


@pytest.mark.parametrize("mode", MODES)
def test_base_url_advice_reaches_the_cli_user_whole(galatea: Galatea, mode: list[str]) -> None:
    base_url = f"http://someone:{PASSWORD}@127.0.0.1:{closed_port()}"
    result = galatea("--base-url", base_url, "--api-key", API_KEY, *mode, "org", "info")
    _, message = the_error(result, 2, mode)
    assert "[REDACTED]" not in message  # the advice quotes no secret: nothing to hide
    assert "pass api_key=" in message
