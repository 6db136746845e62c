"""Requests read into typed values: what a listing filters on, what a submit asks for.

Only the form is checked here (a date that is not a date is a 400); whether the emulated
world allows a value (a file that exists, a model on offer) is the store's to say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs
from starlette.datastructures import QueryParams

from galatea_async.emulator import _lifecycle
from galatea_async.emulator._http import ApiProblem

__all__ = [
    "FileQuery",
    "OrderQuery",
    "OrderSubmission",
    "file_query",
    "order_query",
    "order_submission",
    "texts_of",
    "truthy",
]

_METADATA_DATES = ("dob", "collected", "received")


@attrs.frozen
class FileQuery:
    """What ``GET data/files`` filters on."""

    name_or_id: str | None = None
    min_date: date | None = None
    max_date: date | None = None
    show_virtual: bool = False
    only_acceptable: bool = False


@attrs.frozen
class OrderQuery:
    """What ``GET exec/orders`` filters on."""

    text: str | None = None  # an order's id, or its file's id or name
    status: str | None = None
    group_statuses: frozenset[str] | None = None  # the statuses of the status group asked for
    tag_ids: tuple[str, ...] = ()
    min_date: date | None = None
    max_date: date | None = None


@attrs.frozen
class OrderSubmission:
    """What ``POST exec/orders`` asks for."""

    source_file_id: str | None
    model_name: str | None
    tag_ids: tuple[str, ...] = ()
    pdf_report_types: tuple[str, ...] = ()
    pdf_metadata: Mapping[str, Any] = attrs.field(factory=dict)
    pdf_metadata_echo: str | None = None  # the JSON string the API echoes back


def truthy(value: str | None, default: bool = False) -> bool:
    """A query flag: ``1``, ``true``, ``yes`` or ``on`` (any case) is true."""
    if value is None:
        return default
    return value.strip().casefold() in ("1", "true", "yes", "on")


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ApiProblem(400, f"{field}: date has wrong format, use YYYY-MM-DD") from None


def file_query(params: QueryParams) -> FileQuery:
    """The filters of a files listing."""
    return FileQuery(
        name_or_id=params.get("file") or None,
        min_date=_date(params.get("min_date"), "min_date"),
        max_date=_date(params.get("max_date"), "max_date"),
        show_virtual=truthy(params.get("show_virtual")),
        only_acceptable=truthy(params.get("only_acceptable")),
    )


def order_query(params: QueryParams) -> OrderQuery:
    """The filters of an orders listing; tag ids from ``tag_ids`` or ``tags_ids``, comma
    separated or repeated."""
    group = params.get("status_group")
    members = None
    if group:
        members = _lifecycle.STATUS_GROUPS.get(group.casefold())
        if members is None:
            raise ApiProblem(400, f"status_group: unknown value {group[:40]!r}")
    tag_ids = [
        part.strip()
        for key in ("tag_ids", "tags_ids")
        for raw in params.getlist(key)
        for part in raw.split(",")
        if part.strip()
    ]
    return OrderQuery(
        text=params.get("filter") or None,
        status=params.get("status") or None,
        group_statuses=members,
        tag_ids=tuple(tag_ids),
        min_date=_date(params.get("min_date"), "min_date"),
        max_date=_date(params.get("max_date"), "max_date"),
    )


def texts_of(raw: Any) -> tuple[str, ...]:
    """A JSON body's list as texts (one value is a list of one; other types become text)."""
    items = raw if isinstance(raw, list) else [raw] if raw else []
    return tuple(str(item) for item in items)


def _metadata(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiProblem(400, "pdf_metadata: not valid JSON") from None
    if not isinstance(raw, dict):
        raise ApiProblem(400, "pdf_metadata: expected a JSON object")
    for key in _METADATA_DATES:
        if raw.get(key):
            _date(str(raw[key]), f"pdf_metadata.{key}")
    return raw


def order_submission(body: Mapping[str, Any]) -> OrderSubmission:
    """What a submit's JSON body asks for."""
    file_id, model = body.get("source_file_id"), body.get("model_name")
    report_types = body.get("pdf_report_types") or []
    if isinstance(report_types, str):
        report_types = [t.strip() for t in report_types.split(",") if t.strip()]
    raw_metadata = body.get("pdf_metadata")
    metadata = _metadata(raw_metadata)
    if isinstance(raw_metadata, str):
        echo: str | None = raw_metadata
    else:
        echo = json.dumps(raw_metadata) if raw_metadata else None
    return OrderSubmission(
        source_file_id=file_id if isinstance(file_id, str) else None,
        model_name=None if model is None else str(model),
        tag_ids=texts_of(body.get("tags_ids")),
        pdf_report_types=texts_of(report_types),
        pdf_metadata=metadata,
        pdf_metadata_echo=echo,
    )
