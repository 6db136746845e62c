"""The JSON shapes of the API's objects, spelled exactly as the reference shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from galatea_async.emulator import _lifecycle
from galatea_async.emulator._records import (
    OrderRecord,
    PdfReportRecord,
    SourceFileRecord,
    TagRecord,
    UserRecord,
)
from galatea_async.emulator._state import State

__all__ = ["file_json", "order_json", "report_json", "tag_json", "timestamp", "user_json"]


def timestamp(moment: datetime | None) -> str | None:
    """``2025-07-14T10:30:20.433081Z``, the API's spelling of a time."""
    if moment is None:
        return None
    # The first 26 characters of isoformat are strftime("%Y-%m-%dT%H:%M:%S.%f") at a tenth of
    # its cost; listings spell thousands of these.
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def user_json(state: State, user: UserRecord) -> dict[str, Any]:
    org = state.org
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": True,
        "created_at": timestamp(user.created_at),
        "deleted_at": None,
        "updated_at": timestamp(user.created_at),
        "org": {
            "id": org.id,
            "name": org.name,
            "domains": list(org.domains),
            "available_models": list(org.available_models),
            "webhooks_enabled": True,
            "webhooks_secret": org.webhooks_secret,
            "report_ancestry_enabled": True,
            "report_prs_ruo_cardio_enabled": True,
            "report_prs_ruo_cancer_enabled": True,
            "report_prs_clinical_cardio_enabled": True,
            "report_prs_clinical_cancer_enabled": True,
        },
    }


def file_json(state: State, record: SourceFileRecord) -> dict[str, Any]:
    status = state.file_status(record)
    checked = status != "PENDING"
    return {
        "id": record.id,
        "status": status,
        "src_file_name": record.name,
        "src_short_file_path": record.short_path,
        "file_size_bytes": record.content.size,
        "created_at": timestamp(record.created_at),
        "check_sum": record.content.md5_hex(),
        "acceptable": status != "NOT_VALID" and status != "FAILED",
        "purged_from_storage": False,
        "orders_count": state.orders_of_file(record.id),
        "genome_type": record.verdict.genome_type,
        "amount_of_samples": record.verdict.amount_of_samples if checked else 0,
        "deleted_at": timestamp(record.deleted_at),
        "org_name": state.org.name,
        "check_completed": checked,
        "sample_alias": record.sample_alias,
        "check_information": record.verdict.check_information if checked else None,
        "virtual": record.virtual,
    }


def tag_json(state: State, tag: TagRecord) -> dict[str, Any]:
    return {"id": tag.id, "name": tag.name, "org_id": state.org.id}


def order_json(
    state: State, order: OrderRecord, *, shape: str = "listing", now: datetime | None = None
) -> dict[str, Any]:
    """An order at ``now`` (default: the clock's now); ``shape`` is ``listing``, ``submit``
    (no results) or ``patch`` (plain strings)."""
    now = now or state.clock.now()
    status = state.order_status(order, now)
    finished = state.order_finished_at(order, now)
    body: dict[str, Any] = {
        "id": order.id,
        "status": status,
        "src_file_id": order.file_id,
        "src_file_short_path": order.file_short_path,
        "src_file_name": order.file_name,
        "started_at": timestamp(order.created_at),
        "amount_of_samples": len(order.samples),
    }
    if shape != "submit":
        elapsed = (finished - order.created_at).total_seconds() if finished else None
        body["execution_time"] = elapsed
    body.update(
        {
            "submitted_by": order.submitted_by,
            "model": order.model,
            "type": order.genome_type,
            "org_name": state.org.name,
            "tags": [
                {"id": tag.id, "name": tag.name}
                for tag in (state.tags.get(t) for t in order.tag_ids)
                if tag is not None
            ],
        }
    )
    entries = _lifecycle.result_type_entries(order.model, status)
    if shape == "listing":
        body["result_types"] = entries
        body["can_request_pdf"] = bool(_lifecycle.MODELS.get(order.model, ("", 0, (), ()))[3])
        body["virtual"] = False
    elif shape == "patch":
        body["has_error_log"] = any(e["type"] == "EXEC_ERRORS" for e in entries)
        body["result_json"] = [{"details": "Download via result endpoint."}]
        body["result_types"] = _lifecycle.plain_result_types(entries)
    if order.pdf_report_types:
        body["pdf_report_types"] = list(order.pdf_report_types)
    if order.pdf_metadata is not None:
        body["pdf_metadata"] = order.pdf_metadata
    return body


def report_json(state: State, order: OrderRecord, report: PdfReportRecord) -> dict[str, Any]:
    finished = state.order_finished_at(order) or order.created_at
    return {
        "id": report.id,
        "status": "COMPLETED",
        "sample_id": report.sample_id,
        "order_id": order.id,
        "result_id": report.result_id,
        "org_name": state.org.name,
        "report_type": report.report_type,
        "request_type": report.request_type,
        "request_version": report.request_version,
        "report_version": report.report_version,
        "pdf_file_name": report.file_name,
        "file_size_bytes": report.content.size,
        "check_sum": report.content.md5_hex(),
        "started_at": timestamp(order.created_at),
        "completed_at": timestamp(finished),
    }
