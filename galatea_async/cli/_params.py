"""Option and argument types shared by the commands: ids, result types, dates, ``--json``."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from galatea_async._enums import ResultType, StatusGroup
from galatea_async.cli._context import Settings, settings
from galatea_async.cli._output import Output

__all__ = [
    "DATE",
    "JSON_HELP",
    "PATIENT_DATA_HELP",
    "RESULT_TYPE",
    "STATUS_GROUP",
    "IdType",
    "check_output_modes",
    "command_options",
    "json_lines_option",
    "json_option",
    "show_patient_data_option",
]

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    _ParamType = click.ParamType[Any, Any]
else:  # click before 8.3 has no generic ParamType to subscript
    _ParamType = click.ParamType


class IdType(_ParamType):
    """A UUID naming one kind of object; a malformed one is a usage error before any request."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = f"{kind.upper().replace(' ', '_')}_ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return str(uuid.UUID(str(value).strip()))
        except ValueError:
            self.fail(
                f"{value!r} is not a valid {self.kind} id: expected a UUID like "
                "123e4567-e89b-12d3-a456-426614174000",
                param,
                ctx,
            )


class _ResultTypeParam(_ParamType):
    name = "RESULT_TYPE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ResultType:
        if isinstance(value, ResultType):
            return value
        text = str(value).strip().upper().replace("-", "_")
        if ResultType.is_known(text) and text != ResultType.UNKNOWN.value:
            return ResultType(text)
        self.fail(
            f"unknown result type {value!r}: use one of "
            + ", ".join(v for v in ResultType.known_values() if v != "UNKNOWN"),
            param,
            ctx,
        )


class _DateParam(_ParamType):
    name = "YYYY-MM-DD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2025-02-27", param, ctx)


RESULT_TYPE = _ResultTypeParam()
DATE = _DateParam()
STATUS_GROUP = click.Choice(StatusGroup.known_values(), case_sensitive=False)


def _output_flag(flag: str, change: Callable[[Output], None], help: str) -> Callable[[F], F]:
    """A flag on a subcommand that changes how this run prints, as its global twin does."""

    def apply(context: click.Context, _: click.Parameter, value: bool) -> None:
        found = context.find_object(Settings)
        if value and found is not None:
            change(found.output)

    return click.option(flag, is_flag=True, expose_value=False, callback=apply, help=help)


def _print_json(output: Output) -> None:
    output.json_mode = True


def _print_json_lines(output: Output) -> None:
    output.json_lines = True


def _show_patient_data(output: Output) -> None:
    output.disclosure = attrs.evolve(output.disclosure, patient_data=True)


JSON_HELP = "Print JSON instead of tables."
PATIENT_DATA_HELP = "Print patient fields (pdf_metadata, sample ids) instead of [hidden]."

json_option = _output_flag("--json", _print_json, JSON_HELP)
"""``--json`` on a subcommand, the same as the global ``galatea --json``."""

json_lines_option = _output_flag(
    "--jsonl",
    _print_json_lines,
    "Print one JSON event per line as the run goes (file_done, file_failed, progress, summary).",
)
"""``--jsonl``: a transfer run's events as JSON lines while it runs (``--json`` waits)."""

show_patient_data_option = _output_flag(
    "--show-patient-data", _show_patient_data, PATIENT_DATA_HELP
)
"""``--show-patient-data`` on a subcommand, the same as the global option."""


def check_output_modes() -> None:
    """A usage error for ``--json`` with ``--jsonl``: one final object, or a stream of them."""
    output = settings().output
    if output.json_mode and output.json_lines:
        raise click.UsageError("pass --json (one final object) or --jsonl (events), not both")


def command_options(function: F) -> F:
    """The options every leaf command takes."""
    return json_option(show_patient_data_option(function))
