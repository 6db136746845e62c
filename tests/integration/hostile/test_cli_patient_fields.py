"""Patient fields in what the ``galatea`` command prints: ``[hidden]`` in tables and ``--json``
unless ``--show-patient-data`` is given; the SDK's ``to_dict()`` keeps them (they are the data).

The server lists orders carrying ``pdf_metadata`` and PDF reports carrying a ``sample_id``;
the command runs in-process against it, on both transports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

from galatea_async import Order
from tests.integration.hostile.checks import PATIENT, PATIENT_VALUES, assert_no_canary
from tests.integration.hostile.scripts import answer, new_id, order, page, pdf_report
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.test_cli_output import MODES, everything_printed

Galatea = Callable[..., Result]
SAMPLE_ID = "canary-sample-0042"
ORDER_ID = new_id()
LISTED = order(ORDER_ID, pdf_metadata=PATIENT)


def _set_fields(shown: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in shown.items() if value is not None}


def _serve_orders(server: HostileServer) -> None:
    server.on("GET", "exec/orders", answer(page([LISTED])))


ORDER_COMMANDS = [
    pytest.param(["orders", "list"], id="list"),
    pytest.param(["orders", "find", ORDER_ID], id="find"),
    pytest.param(["orders", "get", ORDER_ID], id="get"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", ORDER_COMMANDS)
def test_order_commands_show_patient_fields_as_hidden(
    threaded_server: HostileServer,
    galatea: Galatea,
    caplog: pytest.LogCaptureFixture,
    command: list[str],
    mode: list[str],
) -> None:
    _serve_orders(threaded_server)
    result = galatea("--base-url", threaded_server.base_url, "--api-key", "k" * 20, *mode, *command)
    assert result.exit_code == 0, result.output
    assert_no_canary(everything_printed(result), caplog.text)
    assert "Female" not in result.output
    if mode:  # each field's name stays, with its value hidden
        printed = json.loads(result.stdout)
        shown = printed[0] if isinstance(printed, list) else printed
        assert _set_fields(shown["pdf_metadata"]) == {key: "[hidden]" for key in PATIENT}
        assert shown["id"] == ORDER_ID
    elif command[1] == "get":  # listing tables have no pdf_metadata column
        assert "[hidden]" in result.stdout


@pytest.mark.parametrize(
    ("command", "where"),
    [(["orders", "list"], "global"), (["orders", "get", ORDER_ID], "command")],
    ids=["list-global", "get-command"],
)
def test_show_patient_data_prints_the_values(
    threaded_server: HostileServer, galatea: Galatea, command: list[str], where: str
) -> None:
    _serve_orders(threaded_server)
    flag = ["--show-patient-data"]
    before, after = (flag, []) if where == "global" else ([], flag)
    result = galatea(
        "--base-url", threaded_server.base_url, "--api-key", "k" * 20, "--json",
        *before, *command, *after,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    shown = printed[0] if isinstance(printed, list) else printed
    assert _set_fields(shown["pdf_metadata"]) == PATIENT


@pytest.mark.parametrize("mode", MODES)
def test_pdf_report_listing_hides_the_sample_id(
    threaded_server: HostileServer, galatea: Galatea, mode: list[str]
) -> None:
    report = pdf_report(new_id(), ORDER_ID, b"%PDF-1.4", sample_id=SAMPLE_ID)
    threaded_server.on("GET", f"data/results/{ORDER_ID}/pdf_report", answer(page([report])))
    arguments = ["--base-url", threaded_server.base_url, "--api-key", "k" * 20, *mode]
    hidden = galatea(*arguments, "results", "pdf-reports", ORDER_ID)
    assert hidden.exit_code == 0, hidden.output
    assert SAMPLE_ID not in hidden.output
    assert "[hidden]" in hidden.stdout
    shown = galatea(*arguments, "--show-patient-data", "results", "pdf-reports", ORDER_ID)
    assert SAMPLE_ID in shown.stdout


def test_the_sdks_own_json_keeps_the_patient_fields() -> None:
    loaded = Order.from_dict(LISTED)
    assert _set_fields(loaded.to_dict()["pdf_metadata"]) == PATIENT
    assert all(value in loaded.to_json() for value in PATIENT_VALUES)
