"""Option and argument types shared by the commands: ids, result types, dates, ``--json``."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from galatea_async._enums import ResultType, StatusGroup

__all__ = [
    "DATE",
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


def _enable_json(context: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        from galatea_async.cli._context import Settings

        found = context.find_object(Settings)
        if found is not None:
            found.output.json_mode = True


def json_option(function: F) -> F:
    """``--json`` on a subcommand, the same as the global ``galatea --json``."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_enable_json,
        help="Print JSON instead of tables.",
    )(function)


def _enable_json_lines(context: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        from galatea_async.cli._context import Settings

        found = context.find_object(Settings)
        if found is not None:
            found.output.json_lines = True


def json_lines_option(function: F) -> F:
    """``--jsonl``: a transfer run's events as JSON lines while it runs (``--json`` waits)."""
    return click.option(
        "--jsonl",
        is_flag=True,
        expose_value=False,
        callback=_enable_json_lines,
        help="Print one JSON event per line as the run goes (file_done, file_failed, "
        "progress, summary).",
    )(function)


def check_output_modes() -> None:
    """A usage error for ``--json`` with ``--jsonl``: one final object, or a stream of them."""
    from galatea_async.cli._context import settings

    output = settings().output
    if output.json_mode and output.json_lines:
        raise click.UsageError("pass --json (one final object) or --jsonl (events), not both")


def _show_patient_data(context: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        from galatea_async.cli._context import Settings

        found = context.find_object(Settings)
        if found is not None:
            found.output.disclosure = attrs.evolve(found.output.disclosure, patient_data=True)


def show_patient_data_option(function: F) -> F:
    """``--show-patient-data`` on a subcommand, the same as the global option."""
    return click.option(
        "--show-patient-data",
        is_flag=True,
        expose_value=False,
        callback=_show_patient_data,
        help="Print patient fields (pdf_metadata, sample ids) instead of [hidden].",
    )(function)


def command_options(function: F) -> F:
    """The options every leaf command takes."""
    return json_option(show_patient_data_option(function))
