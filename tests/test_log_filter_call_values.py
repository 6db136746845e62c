"""The log filter knows the values a call sends while that call runs, and only then."""

from __future__ import annotations

import logging

import pytest

from galatea_async._http._logging import SecretsLogFilter, values_being_sent


def _filtered(message: str, *args: object) -> str:
    record = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, message, args, None)
    SecretsLogFilter().filter(record)
    return record.getMessage()


def test_a_value_is_redacted_while_a_call_sends_it_and_shown_again_after() -> None:
    with values_being_sent(("Jane Q Doe", "1961-04-12")):
        assert _filtered("echo %s born %s", "JANE Q DOE", "1961-04-12") == (
            "echo [REDACTED] born [REDACTED]"
        )
    assert _filtered("echo %s", "Jane Q Doe") == "echo Jane Q Doe"


def test_two_calls_sending_one_value_keep_it_redacted_until_both_end() -> None:
    with values_being_sent(("Jane Q Doe",)):
        with values_being_sent(("Jane Q Doe",)):
            pass
        assert "Jane" not in _filtered("echo Jane Q Doe")
    assert "Jane" in _filtered("echo Jane Q Doe")


def test_the_values_are_forgotten_when_the_call_fails() -> None:
    with pytest.raises(RuntimeError, match="boom"), values_being_sent(("Jane Q Doe",)):
        raise RuntimeError("boom")
    assert "Jane" in _filtered("echo Jane Q Doe")
