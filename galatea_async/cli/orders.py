"""``galatea orders``: submit, find, list, tag, cancel, wait."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from galatea_async._enums import OrderStatus, PdfReportType, StatusGroup
from galatea_async.cli._commands import (
    id_command,
    show_done,
    show_listing,
    show_result,
    show_when_waited,
)
from galatea_async.cli._context import CommandFailed, settings
from galatea_async.cli._output import Column, minute_text
from galatea_async.cli._params import DATE, STATUS_GROUP, IdType, command_options

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["COMMANDS", "ORDER_COLUMNS", "split_ids"]

ORDER_ID = IdType("order")
TAG_ID = IdType("tag")

ORDER_COLUMNS: list[Column] = [
    ("id", lambda order: order.id),
    ("status", lambda order: order.status),
    ("model", lambda order: order.model),
    ("file", lambda order: order.src_file_name),
    ("tags", lambda order: [tag.name or tag.id for tag in order.tags]),
    ("result types", lambda order: order.result_types),
    ("started", lambda order: minute_text(order.started_at)),
]

_TAG_HELP = "Tag id; repeat, or separate with commas."


def split_ids(values: tuple[str, ...], kind: str = "tag") -> list[str]:
    """Ids from repeated and comma-separated options, each checked (usage error if malformed)."""
    parameter = IdType(kind)
    return [
        parameter.convert(part, None, None)
        for value in values
        for part in value.split(",")
        if part.strip()
    ]


@click.group("orders")
def orders_group() -> None:
    """Orders: submit, find, list, tag, cancel, wait for a final status."""


@orders_group.command("submit")
@click.argument("file_id", type=IdType("file"))
@click.option("--model", required=True, metavar="NAME", help="Model name (`galatea org models`).")
@click.option("--tag", "tags", multiple=True, metavar="TAG_ID", help=_TAG_HELP)
@click.option(
    "--pdf-report-type",
    "pdf_report_types",
    multiple=True,
    type=click.Choice(PdfReportType.known_values(), case_sensitive=False),
    help="PRS PDF report to produce; repeat for several.",
)
@click.option(
    "--pdf-metadata",
    metavar="JSON|@FILE",
    help="PDF report metadata as a JSON object, or @path of a JSON file.",
)
@click.option("--wait", is_flag=True, help="Then wait until the order is final.")
@click.option("--timeout", type=float, default=3600.0, show_default=True, help="For --wait, s.")
@command_options
def submit(
    file_id: str,
    model: str,
    tags: tuple[str, ...],
    pdf_report_types: tuple[str, ...],
    pdf_metadata: str | None,
    wait: bool,
    timeout: float,
) -> None:
    """Order a model run on a validated file (replaces octo submit-order)."""
    tag_ids = split_ids(tags)
    metadata = _metadata(pdf_metadata)
    output = settings().output

    async def go(client: AsyncGalatea) -> Any:
        await _check_model(client, model)
        order = await client.orders.submit(
            file_id,
            model,
            tag_ids=tag_ids,
            pdf_report_types=[PdfReportType(kind.upper()) for kind in pdf_report_types],
            pdf_metadata=metadata,
        )
        if wait:
            with output.status(f"waiting for order {order.id}"):
                return await client.orders.wait(order.id, timeout=timeout)
        return order

    order = show_result(go)
    _fail_unless_completed(order)


def _metadata(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(
                f"cannot read {value[1:]}: {error.strerror}", param_hint="--pdf-metadata"
            ) from None
    try:
        loaded = json.loads(text)
    except ValueError:
        # The message never repeats the text: it holds patient details.
        raise click.BadParameter(
            'not valid JSON: give an object like \'{"patient_name": "..."}\' or @file.json',
            param_hint="--pdf-metadata",
        ) from None
    if not isinstance(loaded, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--pdf-metadata")
    return loaded


async def _check_model(client: AsyncGalatea, model: str) -> None:
    # Deprecated models may still be ordered, so they count as known; only current ones are
    # suggested.
    models = await client.organizations.models(hide_deprecated=False)
    if not models or model in {found.name for found in models}:
        return
    current = [found.name for found in models if not found.deprecated]
    raise CommandFailed(
        f"unknown model {model!r}: use one of {', '.join(repr(name) for name in current)} "
        "(`galatea org models` lists them)",
        exit_code=2,
    )


@id_command(orders_group, "get", ORDER_ID)
def get(order_id: str) -> None:
    """Show one order."""
    show_result(lambda client: client.orders.get(order_id))


@orders_group.command("find")
@click.argument("query", metavar="ORDER_ID|FILE_ID|FILE_NAME")
@command_options
def find(query: str) -> None:
    """Find orders by order id, source file id or file name (replaces octo find-order)."""
    found = show_listing(lambda client: client.orders.list(filter=query), ORDER_COLUMNS)
    if not found:
        raise CommandFailed(f"no order matches {query!r}")


@orders_group.command("list")
@click.option("--filter", "query", metavar="TEXT", help="Order id, file id or file name.")
@click.option(
    "--status",
    type=click.Choice(OrderStatus.known_values(), case_sensitive=False),
    help="Only orders in this status.",
)
@click.option("--status-group", type=STATUS_GROUP, help="Only orders in this status group.")
@click.option("--tag", "tags", multiple=True, metavar="TAG_ID", help=_TAG_HELP)
@click.option("--min-date", type=DATE, help="Started on or after this day.")
@click.option("--max-date", type=DATE, help="Started on or before this day.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many orders.")
@command_options
def list_orders(
    query: str | None,
    status: str | None,
    status_group: str | None,
    tags: tuple[str, ...],
    min_date: datetime.date | None,
    max_date: datetime.date | None,
    limit: int | None,
) -> None:
    """List orders, newest first."""
    tag_ids = split_ids(tags)
    show_listing(
        lambda client: client.orders.list(
            filter=query,
            status=OrderStatus(status) if status else None,  # click checked the choice
            status_group=StatusGroup(status_group) if status_group else None,
            tag_ids=tag_ids or None,
            min_date=min_date,
            max_date=max_date,
            limit=limit,
        ),
        ORDER_COLUMNS,
    )


@orders_group.command("set-tags")
@click.argument("order_id", type=ORDER_ID)
@click.option("--tag", "tags", multiple=True, metavar="TAG_ID", help=_TAG_HELP + " None clears.")
@command_options
def set_tags(order_id: str, tags: tuple[str, ...]) -> None:
    """Replace an order's tags (replaces octo update-order-tags)."""
    tag_ids = split_ids(tags)
    show_result(lambda client: client.orders.update_tags(order_id, tag_ids))


@id_command(orders_group, "cancel", ORDER_ID)
def cancel(order_id: str) -> None:
    """Cancel a Registered or Submitted order (replaces octo cancel-order)."""
    show_done(lambda client: client.orders.cancel(order_id), "canceled", ORDER_ID, order_id)


@orders_group.command("wait")
@click.argument("order_id", type=ORDER_ID)
@click.option("--timeout", type=float, default=3600.0, show_default=True, help="Seconds.")
@click.option(
    "--poll-interval",
    type=float,
    default=30.0,
    show_default=True,
    help="Longest time between polls, s (they start about 1 s apart).",
)
@command_options
def wait(order_id: str, timeout: float, poll_interval: float) -> None:
    """Wait until an order is final; exit 1 if it failed or was canceled."""
    order = show_when_waited(
        f"order {order_id}",
        lambda client: client.orders.wait(order_id, timeout=timeout, poll_interval=poll_interval),
    )
    _fail_unless_completed(order)


def _fail_unless_completed(order: Any) -> None:
    if order.is_final and not order.is_completed:
        raise CommandFailed(
            f"order {order.id} ended {order.status}; "
            f"`galatea results download {order.id} EXEC_ERRORS` fetches the reason"
        )


COMMANDS = [orders_group]
