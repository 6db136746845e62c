"""``galatea results``: download one result or all of them, JSON results, PDF reports, samples."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from galatea_async._download import SyncReport
from galatea_async._enums import ResultType
from galatea_async.cli._commands import (
    download_options,
    id_command,
    show_download,
    show_listing,
)
from galatea_async.cli._context import run_with_client, settings
from galatea_async.cli._output import Column
from galatea_async.cli._params import (
    DATE,
    RESULT_TYPE,
    STATUS_GROUP,
    IdType,
    check_output_modes,
    command_options,
    json_lines_option,
)
from galatea_async.cli._shown import patient
from galatea_async.cli._sync_view import finish_sync, run_sync
from galatea_async.cli.orders import split_ids

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["COMMANDS"]

ORDER_ID = IdType("order")
REPORT_COLUMNS: list[Column] = [
    ("id", lambda report: report.id),
    ("type", lambda report: report.report_type),
    ("status", lambda report: report.status),
    ("sample", patient(lambda report: report.sample_id)),
    ("request v.", lambda report: report.request_version),
    ("report v.", lambda report: report.report_version),
    ("bytes", lambda report: report.file_size_bytes),
]


@click.group("results")
def results_group() -> None:
    """Results of completed orders: files, JSON, PDF reports, samples."""


@results_group.command("download")
@click.argument("order_id", type=ORDER_ID)
@click.argument("result_type", type=RESULT_TYPE)
@click.option("--pdf-request-id", metavar="ID", help="For PDF_REPORT: one report request.")
@download_options
@command_options
def download(
    order_id: str,
    result_type: ResultType,
    pdf_request_id: str | None,
    dest: str | None,
    overwrite: bool,
) -> None:
    """Download one result file (replaces octo download-result-file)."""
    show_download(
        f"{order_id}/{result_type.value}",
        dest,
        lambda client, target, progress: client.results.download(
            order_id,
            result_type,
            target,
            pdf_request_id=pdf_request_id,
            overwrite=overwrite,
            progress=progress,
        ),
        {"order_id": order_id, "result_type": result_type.value},
    )


@results_group.command("json")
@click.argument("order_id", type=ORDER_ID)
@click.argument("result_type", type=RESULT_TYPE, required=False)
@click.option("-o", "--output", "output_path", metavar="FILE", help="Write to FILE, not stdout.")
@command_options
def result_json(order_id: str, result_type: ResultType | None, output_path: str | None) -> None:
    """Print an order's JSON result (replaces octo download-result-json)."""
    current = settings()
    data = run_with_client(lambda client: client.results.json(order_id, result_type))
    if output_path is None:
        current.output.print_data(data)
        return
    Path(output_path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    current.output.done({"order_id": order_id, "path": output_path}, f"saved {output_path}")


@results_group.command("pdf-reports")
@click.argument("order_id", type=ORDER_ID)
@click.option("--sample-id", metavar="ID", help="Only this sample's reports.")
@click.option("--request-version", type=int, help="Only this request version.")
@click.option("--report-version", metavar="TEXT", help="Only this report version.")
@command_options
def pdf_reports(
    order_id: str, sample_id: str | None, request_version: int | None, report_version: str | None
) -> None:
    """List an order's PDF reports (replaces octo list-result-pdf-reports)."""
    show_listing(
        lambda client: client.results.pdf_reports(
            order_id,
            sample_id=sample_id,
            request_version=request_version,
            report_version=report_version,
        ),
        REPORT_COLUMNS,
    )


@id_command(results_group, "samples", ORDER_ID)
def samples(order_id: str) -> None:
    """Show the samples of an order's results (replaces octo list-result-samples)."""
    settings().output.print_data(run_with_client(lambda client: client.results.samples(order_id)))


@results_group.command("download-all")
@click.option(
    "--dest", metavar="DIR", help="Folder (default: download folder, else ./galatea-results)."
)
@click.option(
    "--status-group",
    type=STATUS_GROUP,
    default="completed",
    show_default=True,
    help="Orders in this status group.",
)
@click.option("--tag", "tags", multiple=True, metavar="TAG_ID", help="Only orders with this tag.")
@click.option("--min-date", type=DATE, help="Orders started on or after this day.")
@click.option("--max-date", type=DATE, help="Orders started on or before this day.")
@click.option(
    "--result-type",
    "result_types",
    multiple=True,
    type=RESULT_TYPE,
    help="Only this result type; repeat for several (default: all).",
)
@click.option("--pdf-reports", is_flag=True, help="Also fetch each PDF report (verified).")
@click.option(
    "--verify", is_flag=True, help="Re-hash finished files; fetch again any that changed."
)
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@json_lines_option
@command_options
def results_download_all(
    dest: str | None,
    status_group: str,
    tags: tuple[str, ...],
    min_date: datetime.date | None,
    max_date: datetime.date | None,
    result_types: tuple[ResultType, ...],
    pdf_reports: bool,
    verify: bool,
    concurrency: int,
) -> None:
    """Download every result of the matching orders into DEST/<order_id>/ (results.sync).

    Resumable: files a previous run finished (recorded in DEST/.galatea-journal.sqlite3) are
    skipped without a request; a file deleted or truncated since is fetched again. Exits 1 if
    any file failed, naming which. Not on a terminal, it logs a line per file as it is done
    or fails and a progress line at least every 30 s; --jsonl makes those JSON events.
    """
    check_output_modes()
    current = settings()
    folder = Path(dest or current.setting("download_folder") or "galatea-results")
    tag_ids = split_ids(tags)

    async def go(client: AsyncGalatea) -> SyncReport:
        return await run_sync(
            client,
            current.output,
            folder,
            status_group=status_group,
            tag_ids=tag_ids,
            min_date=min_date,
            max_date=max_date,
            result_types=result_types,
            concurrency=concurrency,
            pdf_reports=pdf_reports,
            verify=verify,
        )

    finish_sync(current.output, folder, run_with_client(go))


COMMANDS = [results_group]
