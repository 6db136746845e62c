"""The standalone emulator's flags, options and banner (galatea_async._emulator_command),
and the two parsers built from them agreeing."""

from __future__ import annotations

import errno
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from galatea_async._emulator_command import (
    EMULATOR_FLAGS,
    EmulatorBanner,
    EmulatorOptions,
    banner_json,
    banner_text,
    exposure_warning,
    listen_failure,
)
from galatea_async.cli import cli
from galatea_async.emulator import __main__ as module_entry

ROOT = Path(__file__).resolve().parent.parent
BANNER = EmulatorBanner(
    base_url="http://127.0.0.1:8765",
    api_key="demo-api-key",
    email="demo@example.com",
    password="demo-password",
    demo=True,
    time_scale=60.0,
    webhook_urls=("http://127.0.0.1:9000/hooks",),
    sender_host="api.galatea.bio",
)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"port": 65536}, "--port 65536"),
        ({"port": -1}, "--port -1"),
        ({"time_scale": -1.0}, "--time-scale -1.0"),
        ({"time_scale": float("nan")}, "--time-scale nan"),
        ({"webhook_urls": ["ftp://host/x"]}, "'ftp://host/x'"),
        ({"webhook_urls": ["/hooks"]}, "'/hooks'"),
    ],
)
def test_options_that_cannot_be_used_are_named(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        EmulatorOptions(**options)


def test_the_banner_gives_the_variables_to_export_and_where_webhooks_go() -> None:
    assert banner_text(BANNER).splitlines() == [
        "Galatea emulator on http://127.0.0.1:8765: the demo lab, a clock 60x real time",
        "  GALATEA_BASE_URL=http://127.0.0.1:8765",
        "  GALATEA_API_KEY=demo-api-key",
        "  GALATEA_EMAIL=demo@example.com",
        "  GALATEA_PASSWORD=demo-password",
        "Webhooks: http://127.0.0.1:9000/hooks, signed for api.galatea.bio",
        "Controls: http://127.0.0.1:8765/_emulator (faults, clock/advance, webhooks)",
        "Press Ctrl-C to stop.",
    ]
    assert json.loads(banner_json(BANNER))["webhook_urls"] == ["http://127.0.0.1:9000/hooks"]


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (OSError(errno.EADDRINUSE, "in use"), "the port is in use; stop what uses it, or pass "),
        (OSError(errno.EACCES, "denied"), "permission denied; pass a port above 1023"),
        (OSError(errno.EADDRNOTAVAIL, "x"), "10.9.9.9 is not an address of this machine"),
        (socket.gaierror(-2, "Name or service not known"), "is not an address of this machine"),
        (OSError(errno.EMFILE, "Too many open files"), ": Too many open files"),
    ],
)
def test_a_failure_to_listen_says_what_to_pass(error: OSError, says: str) -> None:
    assert listen_failure("10.9.9.9", 80, error).startswith("cannot listen on 10.9.9.9:80: ")
    assert says in listen_failure("10.9.9.9", 80, error)


def test_only_hosts_other_machines_reach_are_warned_about() -> None:
    assert exposure_warning("127.0.0.1") is None
    assert "0.0.0.0" in str(exposure_warning("0.0.0.0"))


ARGUMENTS = [
    [],
    ["--host", "localhost", "--port", "0", "--no-demo", "--time-scale", "0"],
    ["--json", "--webhook-url", "http://a.test/1", "--webhook-url", "https://b.test/2"],
]


@pytest.mark.parametrize("arguments", ARGUMENTS)
def test_both_entry_points_read_the_same_options_from_the_same_flags(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[EmulatorOptions] = []

    async def record(options: EmulatorOptions) -> None:
        served.append(options)

    monkeypatch.setattr("galatea_async.emulator._standalone.serve_standalone", record)
    monkeypatch.setattr(module_entry, "serve_standalone", record)
    assert module_entry.main(arguments) == 0
    result = CliRunner().invoke(cli, ["emulator", *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert served[0] == served[1]
    assert len({flag.name for flag in EMULATOR_FLAGS}) == len(EMULATOR_FLAGS)


@pytest.mark.parametrize("arguments", [["--port", "99999"], ["--webhook-url", "nowhere"]])
def test_a_bad_flag_is_a_usage_error_in_both(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert module_entry.main(arguments) == 2
    assert capsys.readouterr().err.startswith("error: ")
    result = CliRunner().invoke(cli, ["emulator", *arguments])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_the_emulator_guide_shows_the_banner_as_printed() -> None:
    from galatea_async.emulator import DEMO_API_KEY, DEMO_EMAIL, DEMO_PASSWORD

    guide = (ROOT / "docs" / "guides" / "emulator.md").read_text(encoding="utf-8")
    [shown] = re.findall(r"```text\n(Galatea emulator on .*?)\n```", guide, re.DOTALL)
    printed = banner_text(
        EmulatorBanner(
            base_url="http://127.0.0.1:8765",
            api_key=DEMO_API_KEY,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            demo=True,
            time_scale=60.0,
            webhook_urls=(),
            sender_host="api.galatea.bio",
        )
    )
    assert shown == printed
