"""``galatea org info --show-secret``: the webhooks secret only on explicit request."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import ServedEmulator


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["table", "json"])
def test_show_secret_prints_the_webhooks_secret(served: ServedEmulator, mode: list[str]) -> None:
    result = served.invoke(*mode, "org", "info", "--show-secret")
    assert result.exit_code == 0, result.output
    assert served.emulator.webhooks_secret in result.stdout
    if mode:
        assert json.loads(result.stdout)["webhooks_secret"] == served.emulator.webhooks_secret


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["table", "json"])
def test_without_show_secret_the_secret_stays_hidden(
    served: ServedEmulator, mode: list[str]
) -> None:
    result = served.invoke(*mode, "org", "info")
    assert result.exit_code == 0, result.output
    assert served.emulator.webhooks_secret not in result.output


def test_show_secret_is_an_option_of_org_info_only(served: ServedEmulator) -> None:
    result = served.invoke("--show-secret", "org", "info")
    assert result.exit_code == 2
    assert served.emulator.webhooks_secret not in result.output
