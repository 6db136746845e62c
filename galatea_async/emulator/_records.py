"""The emulator's stored objects (plain mutable attrs records with no behaviour), the spec a
new order is made from, and the path an uploaded file is shown at."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from galatea_async.emulator._blob import Blob
from galatea_async.emulator._genotype import Verdict

__all__ = [
    "OrderRecord",
    "OrderSpec",
    "Organization",
    "PdfReportRecord",
    "SourceFileRecord",
    "TagRecord",
    "UserRecord",
    "web_upload_path",
]


@attrs.define
class Organization:
    id: str
    name: str
    domains: list[str]
    webhooks_secret: str
    available_models: list[str]


@attrs.define
class UserRecord:
    id: str
    email: str
    password: str
    first_name: str
    last_name: str
    created_at: datetime
    role: str = "OrgUser"


@attrs.define
class TagRecord:
    id: str
    name: str


def web_upload_path(name: str, moment: datetime) -> str:
    """Where the API says a file uploaded at ``moment`` lives: ``web-upload/DATE/TIME/name``."""
    return f"web-upload/{moment:%Y-%m-%d}/{moment:%H%M%S}/{name}"


@attrs.define
class SourceFileRecord:
    id: str
    name: str
    short_path: str
    content: Blob
    created_at: datetime
    verdict: Verdict
    pinned_status: str | None = None  # set by test helpers: the status never changes
    sample_alias: str | None = None
    virtual: bool = False
    deleted_at: datetime | None = None
    announced: bool = False  # whether its validation webhook went out (or never will)


@attrs.define
class PdfReportRecord:
    id: str
    order_id: str
    result_id: str
    sample_id: str
    report_type: str | None
    file_name: str
    content: Blob
    request_type: str = "ORDER"
    request_version: int = 1
    report_version: str = ""


@attrs.define
class OrderRecord:
    id: str
    file_id: str
    file_name: str
    file_short_path: str
    model: str
    genome_type: str
    samples: list[str]
    submitted_by: str
    created_at: datetime
    tag_ids: list[str] = attrs.Factory(list)
    pdf_report_types: list[str] = attrs.Factory(list)
    pdf_metadata: str | None = None  # kept as the JSON string the API echoes
    fails: bool = False
    pinned_status: str | None = None
    canceled_at: datetime | None = None
    result_sizes: dict[str, int] = attrs.Factory(dict)
    reports: list[PdfReportRecord] = attrs.Factory(list)
    result_id: str = ""
    announced: bool = False


def _texts(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


def _copied_sizes(sizes: Mapping[str, int] | None) -> dict[str, int]:
    return dict(sizes or {})


@attrs.frozen
class OrderSpec:
    """What a new order is made of: its file, its model and how it was asked for, and (for
    test data) when it was created, a fixed status and the sizes of its results."""

    file_id: str
    model: str
    submitted_by: str
    tag_ids: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    pdf_report_types: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    pdf_metadata: str | None = None  # the JSON string the API echoes
    fails: bool = False
    created_at: datetime | None = None  # None: now
    pinned_status: str | None = None
    result_sizes: dict[str, int] = attrs.field(factory=dict, converter=_copied_sizes)
    report_size: int | None = None
