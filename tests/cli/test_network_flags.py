"""``--proxy URL`` and ``--ca-bundle PATH``: handed to the client as ``proxy=`` and ``verify=``,
and the proxy's credentials never printed, errors included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import galatea_async
from galatea_async.cli import cli
from galatea_async.errors import APIConnectionError

PROXY_USER = "proxy-user-5f1c"
PROXY_PASSWORD = "proxy-Pa55-e83a09"
PROXY = f"http://{PROXY_USER}:{PROXY_PASSWORD}@proxy.example:3128"


class RecordingClient:
    """Stands in for ``AsyncGalatea``: records its arguments, then fails to connect the way a
    proxy failure would, quoting the proxy's URL."""

    made: list[dict[str, Any]] = []

    def __init__(self, *args: Any, **options: Any) -> None:
        RecordingClient.made.append(options)

    async def __aenter__(self) -> RecordingClient:
        raise APIConnectionError(f"could not connect through the proxy {PROXY}: refused")

    async def __aexit__(self, *_: object) -> None:
        return None


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    RecordingClient.made = []
    monkeypatch.setattr(galatea_async, "AsyncGalatea", RecordingClient)
    return RecordingClient.made


def galatea(tmp_path: Path, *args: str) -> Result:
    config = tmp_path / "config.toml"
    return CliRunner().invoke(
        cli, ["--config", str(config), "--api-key", "k" * 24, *args], catch_exceptions=False
    )


def test_proxy_and_ca_bundle_reach_the_client(
    tmp_path: Path, recording: list[dict[str, Any]]
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    galatea(tmp_path, "--proxy", PROXY, "--ca-bundle", str(bundle), "org", "info")
    assert len(recording) == 1
    assert recording[0]["proxy"] == PROXY
    assert recording[0]["verify"] == str(bundle)


def test_without_the_flags_the_client_keeps_its_defaults(
    tmp_path: Path, recording: list[dict[str, Any]]
) -> None:
    galatea(tmp_path, "org", "info")
    assert "proxy" not in recording[0]
    assert "verify" not in recording[0]


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["table", "json"])
def test_proxy_credentials_never_appear_in_the_error(
    tmp_path: Path, recording: list[dict[str, Any]], mode: list[str]
) -> None:
    result = galatea(tmp_path, "--proxy", PROXY, *mode, "org", "info")
    assert result.exit_code == 1
    assert PROXY_PASSWORD not in result.output
    assert PROXY_USER not in result.output
    assert "proxy.example:3128" in result.output
    if mode:
        assert json.loads(result.stderr)["error"]["type"] == "APIConnectionError"


def test_a_missing_ca_bundle_is_a_usage_error_before_any_client(
    tmp_path: Path, recording: list[dict[str, Any]]
) -> None:
    result = galatea(tmp_path, "--ca-bundle", str(tmp_path / "absent.pem"), "org", "info")
    assert result.exit_code == 2
    assert "absent.pem" in result.stderr
    assert recording == []


def test_a_proxy_user_name_quoted_apart_from_the_url_is_hidden_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recording: list[dict[str, Any]]
) -> None:
    async def refuse(self: RecordingClient) -> RecordingClient:
        raise APIConnectionError(f"the proxy refused the credentials of {PROXY_USER}")

    monkeypatch.setattr(RecordingClient, "__aenter__", refuse)
    result = galatea(tmp_path, "--proxy", PROXY, "org", "info")
    assert result.exit_code == 1
    assert PROXY_USER not in result.output
