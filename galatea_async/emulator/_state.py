"""The emulator's in-memory world: organization, accounts, files, orders, tags.

Statuses are never stored as they change: they are computed from the clock on every read,
so nothing runs in the background and a test moves the world by advancing the clock. The
store takes typed values (``_queries``, ``OrderSpec``) and refuses with ``_store_errors``.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TypeVar

from galatea_async._enums import CANCER_REPORT_TYPES, FileStatus, OrderStatus, ResultType
from galatea_async.emulator import _lifecycle
from galatea_async.emulator._accounts import Accounts
from galatea_async.emulator._blob import Blob
from galatea_async.emulator._clock import Clock
from galatea_async.emulator._content import result_content
from galatea_async.emulator._pdf import pdf_document
from galatea_async.emulator._queries import FileQuery, OrderQuery, OrderSubmission
from galatea_async.emulator._records import (
    OrderRecord,
    OrderSpec,
    Organization,
    PdfReportRecord,
    SourceFileRecord,
    TagRecord,
)
from galatea_async.emulator._store_errors import InvalidRequest, NotFound

__all__ = ["State"]


class State:
    """Everything the emulated API knows, behind plain methods."""

    def __init__(
        self,
        clock: Clock,
        *,
        validation_seconds: float,
        order_stage_seconds: float,
        access_token_ttl: float,
        seed: int | None = None,
    ) -> None:
        self._ids = random.Random(seed) if seed is not None else None
        self.clock = clock
        self.validation_seconds = validation_seconds
        self.order_stage_seconds = order_stage_seconds
        self.org = Organization(
            id=self.new_id(),
            name="Emulated Lab",
            domains=["example.com"],
            webhooks_secret=secrets.token_urlsafe(24),
            available_models=[m for m, v in _lifecycle.MODELS.items() if not v[1]],
        )
        self.accounts = Accounts(clock, access_token_ttl=access_token_ttl, new_id=self.new_id)
        self.files: dict[str, SourceFileRecord] = {}
        self.orders: dict[str, OrderRecord] = {}
        self._sorted_orders: list[OrderRecord] | None = None
        self.tags: dict[str, TagRecord] = {}
        self._results: dict[tuple[str, str, str | None], Blob] = {}

    def new_id(self) -> str:
        """A fresh uuid4 string (reproducible when the state was given a seed)."""
        if self._ids is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    @property
    def refresh_tokens(self) -> dict[str, tuple[str, datetime]]:
        """The refresh tokens issued and not used up (the accounts')."""
        return self.accounts.refresh_tokens

    # --- files -------------------------------------------------------------------------------

    def add_source_file(self, record: SourceFileRecord) -> SourceFileRecord:
        """Keep an uploaded (or test-made) source file."""
        self.files[record.id] = record
        return record

    def file_status(self, record: SourceFileRecord) -> str:
        if record.pinned_status is not None:
            return record.pinned_status
        elapsed = (self.clock.now() - record.created_at).total_seconds()
        valid = record.verdict.valid
        return _lifecycle.file_status(elapsed, self.validation_seconds, valid=valid)

    def live_file(self, file_id: str) -> SourceFileRecord:
        record = self.files.get(file_id)
        if record is None or record.deleted_at is not None:
            raise NotFound("Not found.")
        return record

    def delete_file(self, record: SourceFileRecord) -> None:
        record.deleted_at = self.clock.now()

    def list_files(self, query: FileQuery) -> list[SourceFileRecord]:
        """The live files a listing with ``query`` holds, newest first."""
        found = [f for f in self.files.values() if f.deleted_at is None]
        if query.name_or_id:
            found = [f for f in found if query.name_or_id in (f.id, f.name)]
        found = _created_between(found, query.min_date, query.max_date)
        if not query.show_virtual:
            found = [f for f in found if not f.virtual]
        if query.only_acceptable:
            found = [f for f in found if self.file_status(f) == FileStatus.VALID]
        return sorted(found, key=lambda f: f.created_at, reverse=True)

    def orders_of_file(self, file_id: str) -> int:
        return sum(1 for o in self.orders.values() if o.file_id == file_id)

    # --- orders ------------------------------------------------------------------------------

    def order_status(self, order: OrderRecord, now: datetime | None = None) -> str:
        """An order's status at ``now`` (default: the clock's now)."""
        if order.canceled_at is not None:
            return OrderStatus.CANCELED
        if order.pinned_status is not None:
            return order.pinned_status
        elapsed = ((now or self.clock.now()) - order.created_at).total_seconds()
        return _lifecycle.order_status(
            elapsed,
            self.order_stage_seconds,
            makes_report=_lifecycle.makes_report(order.model),
            fails=order.fails,
        )

    def order_finished_at(self, order: OrderRecord, now: datetime | None = None) -> datetime | None:
        """When the order reached its final status, or None while it has not at ``now``."""
        if order.canceled_at is not None:
            return order.canceled_at
        if order.pinned_status is not None:
            final = order.pinned_status in _lifecycle.FINAL_STATUSES
            return order.created_at if final else None
        offsets = _lifecycle.order_stage_offsets(
            self.order_stage_seconds,
            makes_report=_lifecycle.makes_report(order.model),
            fails=order.fails,
        )
        finished = order.created_at + timedelta(seconds=offsets[-1][0])
        return finished if finished <= (now or self.clock.now()) else None

    def live_order(self, order_id: str) -> OrderRecord:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound("Not found.")
        return order

    def _orders_newest_first(self) -> list[OrderRecord]:
        # Orders are only ever added, so the sorted list holds while the count does; listing
        # 10,000 orders page by page would otherwise sort them again for every page.
        if self._sorted_orders is None or len(self._sorted_orders) != len(self.orders):
            self._sorted_orders = sorted(
                self.orders.values(), key=lambda o: o.created_at, reverse=True
            )
        return self._sorted_orders

    def list_orders(self, query: OrderQuery, now: datetime | None = None) -> list[OrderRecord]:
        """The orders a listing with ``query`` holds, newest first, at ``now``."""
        now = now or self.clock.now()
        found = self._orders_newest_first()
        if query.text:
            found = [o for o in found if query.text in (o.id, o.file_id, o.file_name)]
        if query.status:
            wanted = query.status.casefold()
            found = [o for o in found if self.order_status(o, now).casefold() == wanted]
        if query.group_statuses is not None:
            found = [o for o in found if self.order_status(o, now) in query.group_statuses]
        if query.tag_ids:
            found = [o for o in found if set(query.tag_ids) <= set(o.tag_ids)]
        return _created_between(found, query.min_date, query.max_date)

    def check_tags(self, tag_ids: Iterable[str]) -> list[str]:
        """``tag_ids`` as a list, when every one names a tag."""
        checked = []
        for tag_id in tag_ids:
            if tag_id not in self.tags:
                raise InvalidRequest(f"tags_ids: tag {tag_id[:40]!r} does not exist")
            checked.append(tag_id)
        return checked

    def set_order_tags(self, order: OrderRecord, tag_ids: Iterable[str]) -> None:
        order.tag_ids = self.check_tags(tag_ids)

    def submit_order(self, submission: OrderSubmission, submitted_by: str) -> OrderRecord:
        """The order a submit asks for, once the world allows every part of it."""
        file_id = submission.source_file_id
        if file_id is None or file_id not in self.files:
            raise InvalidRequest("source_file_id: source file not found")
        source = self.live_file(file_id)
        if self.file_status(source) != FileStatus.VALID:
            raise InvalidRequest("Source file is not valid: only VALID files can be ordered")
        model = submission.model_name
        if model is None or model not in self.org.available_models:
            raise InvalidRequest(f"model_name: model {str(model)[:60]!r} is not available")
        tag_ids = self.check_tags(submission.tag_ids)
        _check_reports(model, submission)
        spec = OrderSpec(
            file_id=source.id,
            model=model,
            submitted_by=submitted_by,
            tag_ids=tag_ids,
            pdf_report_types=submission.pdf_report_types,
            pdf_metadata=submission.pdf_metadata_echo,
            fails="fail" in source.name.casefold(),
        )
        return self.add_order(spec)

    def add_order(self, spec: OrderSpec) -> OrderRecord:
        """Keep a new order made as ``spec`` says, with its PDF reports."""
        source = self.files[spec.file_id]
        samples = [
            f"{source.sample_alias or 'sample'}-{n}"
            for n in range(1, max(source.verdict.amount_of_samples, 1) + 1)
        ]
        order = OrderRecord(
            id=self.new_id(),
            file_id=source.id,
            file_name=source.name,
            file_short_path=source.short_path,
            model=spec.model,
            genome_type=source.verdict.genome_type,
            samples=samples,
            submitted_by=spec.submitted_by,
            created_at=spec.created_at or self.clock.now(),
            tag_ids=list(spec.tag_ids),
            pdf_report_types=list(spec.pdf_report_types),
            pdf_metadata=spec.pdf_metadata,
            fails=spec.fails,
            pinned_status=spec.pinned_status,
            result_sizes=dict(spec.result_sizes),
            result_id=self.new_id(),
        )
        report_kinds = list(spec.pdf_report_types)
        if spec.model == _lifecycle.ANCESTRY_PDF_MODEL:
            report_kinds = [""]
        for kind in report_kinds:
            for sample in samples:
                order.reports.append(self._make_report(order, sample, kind, spec.report_size))
        self.orders[order.id] = order
        return order

    def _make_report(
        self, order: OrderRecord, sample: str, kind: str, size: int | None
    ) -> PdfReportRecord:
        report_id = self.new_id()
        suffix = kind.lower().replace("_", "-") if kind else "ancestry"
        title = f"{kind.replace('_', ' ').title() or 'Ancestry'} report"
        lines = [f"Order {order.id}", f"Sample {sample}", f"Model {order.model}", "Emulated result"]
        return PdfReportRecord(
            id=report_id,
            order_id=order.id,
            result_id=order.result_id,
            sample_id=sample,
            report_type=kind or None,
            file_name=f"{report_id}_{sample}_{suffix}.pdf",
            content=pdf_document(title, lines, size=size),
        )

    def cancel_order(self, order: OrderRecord) -> None:
        status = self.order_status(order)
        if status not in (OrderStatus.REGISTERED, OrderStatus.SUBMITTED):
            raise InvalidRequest(
                f"Order {order.id} is {status}: "
                "only Registered or Submitted orders can be cancelled"
            )
        order.canceled_at = self.clock.now()

    def result_blob(
        self, order: OrderRecord, result_type: str, pdf_request_id: str | None
    ) -> tuple[Blob, str]:
        """The content and file name of one result of ``order``."""
        status = self.order_status(order)
        available = {e["type"] for e in _lifecycle.result_type_entries(order.model, status)}
        if result_type not in available:
            if status != OrderStatus.COMPLETED and status not in _lifecycle.FINAL_STATUSES:
                raise InvalidRequest(f"Order {order.id} is {status}: results are not ready")
            raise NotFound(f"Result {result_type[:40]} not found for order {order.id}")
        if pdf_request_id:
            if result_type != ResultType.PDF_REPORT:
                raise InvalidRequest("pdf_request_id is only valid with result_type=PDF_REPORT")
            for report in order.reports:
                if report.id == pdf_request_id:
                    return report.content, report.file_name
            raise NotFound(f"PDF report {pdf_request_id[:40]} not found")
        key = (order.id, result_type, None)
        blob = self._results.get(key)
        if blob is None:
            blob = result_content(
                result_type,
                order.id,
                samples=order.samples,
                size=order.result_sizes.get(result_type),
                reports=[(r.file_name, r.content) for r in order.reports],
                errors=[f"sample {s}: genotype call rate below threshold" for s in order.samples],
            )
            self._results[key] = blob
        extension = _lifecycle.extension(result_type)
        return blob, f"{order.id}_{result_type.lower()}{extension}"

    # --- tags --------------------------------------------------------------------------------

    def add_tag(self, name: str) -> TagRecord:
        if not name or not name.strip():
            raise InvalidRequest("name: This field may not be blank.")
        if any(t.name == name for t in self.tags.values()):
            raise InvalidRequest(f"name: tag {name[:60]!r} already exists")
        tag = TagRecord(self.new_id(), name)
        self.tags[tag.id] = tag
        return tag

    def live_tag(self, tag_id: str) -> TagRecord:
        tag = self.tags.get(tag_id)
        if tag is None:
            raise NotFound("Not found.")
        return tag

    def rename_tag(self, tag: TagRecord, name: str) -> None:
        if not name.strip():
            raise InvalidRequest("name: This field may not be blank.")
        tag.name = name

    def delete_tag(self, tag: TagRecord) -> None:
        """Forget a tag, and take it off every order."""
        del self.tags[tag.id]
        for order in self.orders.values():
            if tag.id in order.tag_ids:
                order.tag_ids.remove(tag.id)


_Created = TypeVar("_Created", SourceFileRecord, OrderRecord)


def _created_between(
    records: list[_Created], first: date | None, last: date | None
) -> list[_Created]:
    """The records created on or after the day ``first`` and on or before the day ``last``."""
    if first is not None:
        records = [r for r in records if r.created_at.date() >= first]
    if last is not None:
        records = [r for r in records if r.created_at.date() <= last]
    return records


def _check_reports(model: str, submission: OrderSubmission) -> None:
    """The PDF reports asked for are ones ``model`` makes, with the metadata they need."""
    allowed = _lifecycle.MODELS[model][3]
    report_types = submission.pdf_report_types
    for report_type in report_types:
        if report_type not in allowed or report_type == "ANCESTRY":
            raise InvalidRequest(f"pdf_report_types: {report_type[:40]!r} not available")
    metadata = submission.pdf_metadata
    sex = str(metadata.get("sex", "")).casefold()
    if any(t in CANCER_REPORT_TYPES for t in report_types) and sex not in ("male", "female"):
        raise InvalidRequest("pdf_metadata.sex: Male or Female required for cancer reports")
    if model == _lifecycle.ANCESTRY_PDF_MODEL and not metadata.get("patient_name"):
        raise InvalidRequest("pdf_metadata.patient_name: required for the ancestry pdf model")
