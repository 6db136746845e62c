"""Pure rules of the emulated world: models, their results, and status as a function of time."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from galatea_async._enums import (
    FINAL_ORDER_STATUSES,
    RESULT_TYPE_EXTENSIONS,
    FileStatus,
    OrderStatus,
    PdfReportType,
    ResultType,
    StatusGroup,
)

__all__ = [
    "ANCESTRY_PDF_MODEL",
    "DEPRECATED_MODEL",
    "FINAL_STATUSES",
    "MODELS",
    "PRS_MODELS",
    "RESULT_LABELS",
    "STATUS_GROUPS",
    "file_status",
    "makes_report",
    "model_result_types",
    "order_placement",
    "order_stage_offsets",
    "order_status",
]

ANCESTRY_PDF_MODEL = "ancestry pdf model"
PRS_MODELS = frozenset({"prs ruo model", "prs clinical model"})
DEPRECATED_MODEL = "ancestry data model legacy"
FINAL_STATUSES: frozenset[str] = frozenset(FINAL_ORDER_STATUSES)
# The statuses an order passes through by itself as the clock moves.
_NATURAL_STATUSES = frozenset(
    {
        OrderStatus.REGISTERED,
        OrderStatus.SUBMITTED,
        OrderStatus.RUNNING,
        OrderStatus.MAKING_REPORT,
        OrderStatus.COMPLETED,
        OrderStatus.FAILED,
    }
)

_ANCESTRY_RESULTS = (
    ResultType.SUMMARY_CHROMS,
    ResultType.SUMMARY_SUPERSET,
    ResultType.DETAILED_CHROMS,
    ResultType.DETAILED_SUPERSET,
)
_PRS_RESULTS = (
    ResultType.SUMMARY_SUPERSET,
    ResultType.DETAILED_SUPERSET,
    ResultType.PRS_JSON_DATA,
    ResultType.PRS_IMAGES,
    ResultType.PDF_REPORT,
)

# name -> (description, deprecated, result types, pdf report types it can make)
MODELS: dict[str, tuple[str, bool, tuple[ResultType, ...], tuple[str, ...]]] = {
    "ancestry data model one": (
        "Ancestry proportions, reference panel one",
        False,
        _ANCESTRY_RESULTS,
        (),
    ),
    "ancestry data model two": (
        "Ancestry proportions, reference panel two",
        False,
        _ANCESTRY_RESULTS,
        (),
    ),
    ANCESTRY_PDF_MODEL: (
        "Ancestry proportions with a PDF ancestry report",
        False,
        (*_ANCESTRY_RESULTS, ResultType.PDF_REPORT),
        ("ANCESTRY",),
    ),
    "prs ruo model": (
        "Polygenic risk scores, research use only",
        False,
        _PRS_RESULTS,
        (PdfReportType.PRS_RUO_CARDIO, PdfReportType.PRS_RUO_CANCER),
    ),
    "prs clinical model": (
        "Polygenic risk scores, clinical reports",
        False,
        _PRS_RESULTS,
        tuple(PdfReportType.known_values()),
    ),
    DEPRECATED_MODEL: ("Ancestry proportions, retired panel", True, _ANCESTRY_RESULTS, ()),
}

RESULT_LABELS: dict[str, str] = {
    ResultType.SUMMARY_CHROMS: "Summary chromosomes",
    ResultType.SUMMARY_SUPERSET: "Summary superset",
    ResultType.DETAILED_CHROMS: "Detailed labels by chromosome",
    ResultType.DETAILED_SUPERSET: "Detailed superset by chromosome",
    ResultType.EXEC_ERRORS: "Execution errors",
    ResultType.PDF_REPORT: "PDF reports zip",
    ResultType.PRS_JSON_DATA: "PRS json data zip",
    ResultType.PRS_IMAGES: "PRS images zip",
}

STATUS_GROUPS: dict[str, frozenset[str]] = {
    StatusGroup.INITIALIZING: frozenset(
        {OrderStatus.REGISTERED, OrderStatus.PREPARING, OrderStatus.SUBMITTED}
    ),
    StatusGroup.RUNNING: frozenset(
        {
            OrderStatus.RUNNING,
            OrderStatus.MODEL_COMPLETED,
            OrderStatus.MAKING_REPORT,
            OrderStatus.COLLECTING_REPORT_RESULTS,
            OrderStatus.CANCELING,
        }
    ),
    StatusGroup.COMPLETED: frozenset({OrderStatus.COMPLETED}),
    StatusGroup.FAILED: frozenset(
        {
            OrderStatus.FAILED,
            OrderStatus.CANCELED,
            OrderStatus.REPORTS_FAILED,
            OrderStatus.QC_FAILED,
        }
    ),
}


def model_result_types(model: str) -> tuple[ResultType, ...]:
    """The result types an order of ``model`` produces when it completes."""
    entry = MODELS.get(model)
    return entry[2] if entry else _ANCESTRY_RESULTS


@functools.lru_cache(maxsize=64)
def makes_report(model: str) -> bool:
    """Whether an order of ``model`` makes a PDF report (it then has a Making report stage)."""
    return ResultType.PDF_REPORT in model_result_types(model)


def model_json(name: str) -> dict[str, Any]:
    """The JSON object ``GET organizations/{id}/models`` lists for a model."""
    description, deprecated, results, reports = MODELS[name]
    return {
        "name": name,
        "description": description,
        "deprecated": deprecated,
        "result_types": [str(r) for r in results],
        "pdf_report_types": [str(r) for r in reports if r != "ANCESTRY"],
        "can_request_pdf": bool(reports),
    }


def file_status(elapsed: float, validation_seconds: float, *, valid: bool) -> FileStatus:
    """A source file's status ``elapsed`` emulated seconds after its upload."""
    if elapsed < validation_seconds:
        return FileStatus.PENDING
    return FileStatus.VALID if valid else FileStatus.NOT_VALID


@functools.lru_cache(maxsize=64)
def order_stage_offsets(
    stage_seconds: float, *, makes_report: bool, fails: bool
) -> tuple[tuple[float, OrderStatus], ...]:
    """Each status of an order's life and the emulated second (after submit) it begins.

    Cached: listing thousands of orders asks this for every one of them.
    """
    stages = [OrderStatus.REGISTERED, OrderStatus.SUBMITTED, OrderStatus.RUNNING]
    if makes_report and not fails:
        stages.append(OrderStatus.MAKING_REPORT)
    stages.append(OrderStatus.FAILED if fails else OrderStatus.COMPLETED)
    return tuple((index * stage_seconds, status) for index, status in enumerate(stages))


def order_status(
    elapsed: float, stage_seconds: float, *, makes_report: bool, fails: bool
) -> OrderStatus:
    """An order's status ``elapsed`` emulated seconds after it was submitted."""
    current = OrderStatus.REGISTERED
    for start, status in order_stage_offsets(stage_seconds, makes_report=makes_report, fails=fails):
        if elapsed >= start:
            current = status
    return current


def result_type_entries(model: str, status: str) -> list[dict[str, str]]:
    """An order's ``result_types`` as listings show them, for its current status."""
    return [{"type": kind, "label": label} for kind, label in _result_type_pairs(model, status)]


@functools.lru_cache(maxsize=256)
def _result_type_pairs(model: str, status: str) -> tuple[tuple[str, str], ...]:
    if status == OrderStatus.COMPLETED:
        pairs = [(str(t), RESULT_LABELS[t]) for t in model_result_types(model)]
        if any(t == ResultType.PDF_REPORT for t in model_result_types(model)):
            # The reference lists PDF_REPORT twice: the zip, and the per-report viewer.
            pairs.append((str(ResultType.PDF_REPORT), "View PDF reports"))
        return tuple(pairs)
    if status in STATUS_GROUPS[StatusGroup.FAILED] and status != OrderStatus.CANCELED:
        return ((str(ResultType.EXEC_ERRORS), RESULT_LABELS["EXEC_ERRORS"]),)
    return ()


def plain_result_types(entries: Sequence[dict[str, str]]) -> list[str]:
    """The PATCH answer's spelling of ``result_types``: unique plain strings."""
    return list(dict.fromkeys(entry["type"] for entry in entries))


def extension(result_type: str) -> str:
    """The file extension of a result type's file."""
    return RESULT_TYPE_EXTENSIONS.get(result_type, ".bin")


def order_placement(
    wanted: OrderStatus,
    created_at: datetime | None,
    now: datetime,
    *,
    stage_seconds: float,
    model: str,
) -> tuple[datetime, str | None]:
    """When an order made in ``wanted`` status began, and the status it stays in (``None``
    when it moves on with the clock).

    An order on the normal path with no ``created_at`` began just long enough ago to be in
    ``wanted`` now; a final one created too recently to have finished stays there; any other
    status, except Canceled, stays as set.
    """
    offsets = order_stage_offsets(
        stage_seconds, makes_report=makes_report(model), fails=wanted == OrderStatus.FAILED
    )
    natural = wanted in _NATURAL_STATUSES
    if natural and created_at is None:
        begins = next((start for start, status in offsets if status == wanted), 0.0)
        return now - timedelta(seconds=begins), None
    began = created_at or now
    if natural and wanted in FINAL_STATUSES:
        finished = began + timedelta(seconds=offsets[-1][0])
        return began, str(wanted) if finished > now else None
    return began, None if wanted == OrderStatus.CANCELED else str(wanted)
