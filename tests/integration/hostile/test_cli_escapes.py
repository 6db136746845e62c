"""Terminal escapes from the server never reach the terminal: the ``galatea`` command escapes
every control character (C0, DEL, C1, ESC) in what it prints that came from the server, in
tables, plain lines, progress and errors; ``--json`` keeps the exact values, as JSON escapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.hostile.scripts import answer, new_id, order, page
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.test_cli_output import MODES, everything_printed

Galatea = Callable[..., Result]
API_KEY = "escapes-api-key-0123456789"
# A title rewrite (OSC), a screen wipe, a colour, and a C1 CSI, which some terminals honour.
HOSTILE_ID = "\x1b]0;pwned\x07-\x1b[2J"
HOSTILE_NAME = "report\x1b[31m\x9b1mred\x00\x7f.vcf"
HOSTILE_TAG = "tag\x1b[5mblink\x85"
HOSTILE_DETAIL = "no such result\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\x9b2J"
CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]


def assert_no_control_characters(result: Result) -> None:
    for text in everything_printed(result):
        found = sorted({f"{ord(c):#04x}" for c in text if c in CONTROLS and c not in "\n"})
        assert not found, f"control characters {found} in {text!r}"


def hostile_order(order_id: str = HOSTILE_ID) -> dict[str, object]:
    return order(
        order_id,
        src_file_name=HOSTILE_NAME,
        tags=[{"id": new_id(), "name": HOSTILE_TAG}],
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", [["orders", "list"], ["orders", "find", "report"]])
def test_order_listings_escape_control_characters(
    threaded_server: HostileServer, galatea: Galatea, command: list[str], mode: list[str]
) -> None:
    threaded_server.on("GET", "exec/orders", answer(page([hostile_order()])))
    result = galatea("--base-url", threaded_server.base_url, "--api-key", API_KEY, *mode, *command)
    assert result.exit_code == 0, result.output
    assert_no_control_characters(result)
    if mode:
        listed = json.loads(result.stdout)[0]
        assert (listed["id"], listed["src_file_name"]) == (HOSTILE_ID, HOSTILE_NAME)
        assert listed["tags"][0]["name"] == HOSTILE_TAG
    else:
        assert "\\x1b]0;pwned\\x07" in result.stdout  # shown escaped, not dropped


@pytest.mark.parametrize("mode", MODES)
def test_an_order_shown_in_detail_escapes_control_characters(
    threaded_server: HostileServer, galatea: Galatea, mode: list[str]
) -> None:
    order_id = new_id()
    threaded_server.on("GET", "exec/orders", answer(page([hostile_order(order_id)])))
    arguments = ["--base-url", threaded_server.base_url, "--api-key", API_KEY, *mode]
    result = galatea(*arguments, "orders", "get", order_id)
    assert result.exit_code == 0, result.output
    assert_no_control_characters(result)


@pytest.mark.parametrize("mode", MODES)
def test_a_server_error_message_is_printed_escaped(
    threaded_server: HostileServer, galatea: Galatea, mode: list[str]
) -> None:
    threaded_server.on("GET", "exec/orders", answer({"detail": HOSTILE_DETAIL}, status=400))
    result = galatea("--base-url", threaded_server.base_url, "--api-key", API_KEY, *mode, "orders", "list")  # fmt: skip
    assert result.exit_code == 1
    assert_no_control_characters(result)
    assert len(result.stderr.splitlines()) == 1


def test_download_all_lines_and_failures_escape_control_characters(
    threaded_server: HostileServer, galatea: Galatea, tmp_path: Path
) -> None:
    plain_id = new_id()
    threaded_server.on("GET", "exec/orders", answer(page([hostile_order(), order(plain_id)])))
    threaded_server.on(
        "GET",
        f"data/results/{plain_id}/download",
        answer({"detail": HOSTILE_DETAIL}, status=404),
    )
    result = galatea(
        "--base-url", threaded_server.base_url, "--api-key", API_KEY,
        "results", "download-all", "--dest", str(tmp_path / "results"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert_no_control_characters(result)
