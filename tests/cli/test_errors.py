"""Bad input and failures: one ``error:`` line naming the fix, the documented exit code."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from galatea_async.cli import cli
from galatea_async.cli._context import connection_failure
from tests.cli.conftest import ServedEmulator


def assert_one_error_line(result: Result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_upload_file_is_a_usage_error(served: ServedEmulator, tmp_path: Path) -> None:
    result = served.invoke("files", "upload", str(tmp_path / "nope.vcf"))
    assert_one_error_line(result, 2, "nope.vcf", "does not exist")


def test_malformed_id_is_a_usage_error_before_any_request(served: ServedEmulator) -> None:
    before = len(served.in_loop(lambda: list(served.emulator.requests)))
    result = served.invoke("orders", "get", "not-a-uuid")
    assert_one_error_line(result, 2, "'not-a-uuid' is not a valid order id", "UUID")
    assert len(served.in_loop(lambda: list(served.emulator.requests))) == before


def test_malformed_tag_id_in_a_comma_list_is_a_usage_error(served: ServedEmulator) -> None:
    order_id = str(uuid.uuid4())
    result = served.invoke("orders", "set-tags", order_id, "--tag", f"{uuid.uuid4()},oops")
    assert_one_error_line(result, 2, "'oops' is not a valid tag id")


def test_unknown_result_type_lists_the_known_ones(served: ServedEmulator) -> None:
    result = served.invoke("results", "download", str(uuid.uuid4()), "SUMMARY_CHROMZ")
    assert_one_error_line(result, 2, "unknown result type 'SUMMARY_CHROMZ'", "SUMMARY_CHROMS")


def test_unknown_model_names_the_models_and_the_command_listing_them(
    served: ServedEmulator,
) -> None:
    files = served.invoke("--json", "files", "list", "--only-acceptable", "--limit", "1")
    file_id = files.stdout.split('"id": "')[1].split('"')[0]
    result = served.invoke("orders", "submit", file_id, "--model", "ancestry model 9")
    assert_one_error_line(result, 2, "unknown model 'ancestry model 9'", "galatea org models")


def test_bad_pdf_metadata_never_echoes_its_text(served: ServedEmulator) -> None:
    result = served.invoke(
        "orders", "submit", str(uuid.uuid4()), "--model", "x", "--pdf-metadata", "{Jane Doe"
    )
    assert_one_error_line(result, 2, "--pdf-metadata", "not valid JSON")
    assert "Jane Doe" not in result.output


def test_not_found_is_a_failure_with_the_servers_reason(served: ServedEmulator) -> None:
    result = served.invoke("tags", "get", str(uuid.uuid4()))
    assert_one_error_line(result, 1)


def test_wrong_api_key_says_how_to_check_it(served: ServedEmulator) -> None:
    result = served.invoke("--api-key", "wrong-key-0123456789", "tags", "list", credentials=False)
    assert_one_error_line(result, 1, "galatea config get")
    assert "wrong-key-0123456789" not in result.output


def test_no_credentials_is_a_usage_error_naming_the_ways_to_give_them(
    served: ServedEmulator,
) -> None:
    result = served.invoke("tags", "list", credentials=False)
    assert_one_error_line(result, 2, "--api-key", "GALATEA_API_KEY", "galatea config set")


def test_unknown_option_is_one_line_with_a_help_hint(served: ServedEmulator) -> None:
    result = served.invoke("tags", "list", "--nmae", "x")
    assert_one_error_line(result, 2, "--nmae", "galatea tags list --help")


def test_broken_config_file_is_a_usage_error(served: ServedEmulator) -> None:
    served.config.write_text("api_key = [oops\n")
    result = served.invoke("tags", "list", credentials=False)
    assert_one_error_line(result, 2, "galatea config clear")


@pytest.mark.parametrize("argument", ["--help", "--version"])
def test_help_and_version_exit_0(argument: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [argument])
    assert result.exit_code == 0
    assert result.stdout


def test_with_json_an_api_error_is_a_json_object_on_stderr_and_stdout_stays_empty(
    served: ServedEmulator,
) -> None:
    result = served.invoke("--json", "tags", "get", str(uuid.uuid4()))
    assert result.exit_code == 1
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "NotFoundError"
    assert error["status_code"] == 404
    assert error["message"]
    assert set(error) == {"type", "message", "status_code"}


def test_with_json_a_usage_error_is_a_json_object_with_exit_2(served: ServedEmulator) -> None:
    result = served.invoke("--json", "orders", "get", "not-a-uuid")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert "'not-a-uuid' is not a valid order id" in error["message"]
    assert error["status_code"] is None


def test_json_after_the_command_name_is_not_the_global_flag(served: ServedEmulator) -> None:
    result = served.invoke("tags", "get", str(uuid.uuid4()))
    assert result.stderr.startswith("error: ")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.usefixtures("transport_kind")
def test_an_unreachable_server_names_host_port_and_cause_without_transport_internals(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    port = _closed_port()
    arguments = ["--config", str(tmp_path / "c.toml"), "--base-url", f"http://127.0.0.1:{port}"]
    result = CliRunner().invoke(cli, [*arguments, "--api-key", "k" * 20, "tags", "list"])
    assert_one_error_line(
        result, 1, f"could not connect to http://127.0.0.1:{port}: connection refused"
    )
    for internal in ("ssl:default", "Connect call failed", "All connection attempts", "Error:"):
        assert internal not in result.stderr


def test_connection_failure_says_why_for_dns_and_tls() -> None:
    import ssl

    from galatea_async.errors import APIConnectionError

    request = httpx.Request("GET", "https://api.example.test/api/v1/users/me")
    for root, reason in [
        (socket.gaierror(-2, "Name or service not known"), "host name could not be resolved"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "TLS certificate"),
    ]:
        transport = httpx.ConnectError("aiohttp said ssl:default [...]", request=request)
        transport.__cause__ = root
        error = APIConnectionError("GET /users/me: the API could not be reached")
        error.__cause__ = transport
        text = connection_failure(error)
        assert text is not None
        assert text.startswith("could not connect to https://api.example.test:443: ")
        assert reason in text and "ssl:default" not in text
