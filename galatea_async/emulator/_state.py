"""The emulator's in-memory world: organization, users, credentials, files, orders, tags.

Statuses are never stored as they change: they are computed from the clock on every read,
so nothing runs in the background and a test moves the world by advancing the clock.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from galatea_async._enums import CANCER_REPORT_TYPES, FileStatus, OrderStatus, ResultType
from galatea_async.emulator import _lifecycle
from galatea_async.emulator._blob import Blob
from galatea_async.emulator._clock import Clock
from galatea_async.emulator._content import result_content
from galatea_async.emulator._pdf import pdf_document
from galatea_async.emulator._records import (
    ApiProblem,
    OrderRecord,
    Organization,
    PdfReportRecord,
    SourceFileRecord,
    TagRecord,
    UserRecord,
)

__all__ = ["State"]

_REFRESH_TTL = 24 * 3600.0


def _parse_date(value: str, field: str) -> None:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ApiProblem(400, f"{field}: date has wrong format, use YYYY-MM-DD") from None


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
        self.access_token_ttl = access_token_ttl
        self.org = Organization(
            id=self.new_id(),
            name="Emulated Lab",
            domains=["example.com"],
            webhooks_secret=secrets.token_urlsafe(24),
            available_models=[m for m, v in _lifecycle.MODELS.items() if not v[1]],
        )
        self.users: dict[str, UserRecord] = {}
        self.api_keys: dict[str, str] = {}  # key -> user id
        self.access_tokens: dict[str, tuple[str, datetime]] = {}  # token -> (user id, expiry)
        self.refresh_tokens: dict[str, tuple[str, datetime]] = {}
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

    # --- users and credentials ---------------------------------------------------------------

    def add_user(
        self, email: str, password: str, first: str = "Demo", last: str = "User"
    ) -> UserRecord:
        user = UserRecord(self.new_id(), email, password, first, last, self.clock.now())
        self.users[user.id] = user
        return user

    def add_api_key(self, user_id: str, key: str | None = None) -> str:
        key = key or "gk_" + secrets.token_urlsafe(24)
        self.api_keys[key] = user_id
        return key

    def login(self, email: str, password: str) -> dict[str, str]:
        for user in self.users.values():
            if user.email.casefold() == email.casefold() and secrets.compare_digest(
                user.password, password
            ):
                return {**self._issue(user.id), "websocket_access": secrets.token_urlsafe(24)}
        raise ApiProblem(401, "No active account found with the given credentials")

    def _issue(self, user_id: str) -> dict[str, str]:
        now = self.clock.now()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = (user_id, now + timedelta(seconds=self.access_token_ttl))
        self.refresh_tokens[refresh] = (user_id, now + timedelta(seconds=_REFRESH_TTL))
        return {"refresh": refresh, "access": access}

    def refresh(self, refresh_token: str) -> dict[str, str]:
        entry = self.refresh_tokens.pop(refresh_token, None)
        if entry is None or entry[1] <= self.clock.now():
            raise ApiProblem(401, "Token is invalid or expired")
        return self._issue(entry[0])

    def logout(self, refresh_token: str) -> None:
        if self.refresh_tokens.pop(refresh_token, None) is None:
            raise ApiProblem(401, "Token is invalid or expired")

    def user_for_token(self, token: str) -> UserRecord | None:
        user_id = self.api_keys.get(token)
        if user_id is None:
            entry = self.access_tokens.get(token)
            if entry is None or entry[1] <= self.clock.now():
                return None
            user_id = entry[0]
        return self.users.get(user_id)

    def expire_tokens(self, *, refresh: bool = False) -> None:
        now = self.clock.now()
        self.access_tokens = {t: (u, now) for t, (u, _) in self.access_tokens.items()}
        if refresh:
            self.refresh_tokens.clear()

    # --- files -------------------------------------------------------------------------------

    def file_status(self, record: SourceFileRecord) -> str:
        if record.pinned_status is not None:
            return record.pinned_status
        elapsed = (self.clock.now() - record.created_at).total_seconds()
        valid = record.verdict.valid
        return _lifecycle.file_status(elapsed, self.validation_seconds, valid=valid)

    def live_file(self, file_id: str) -> SourceFileRecord:
        record = self.files.get(file_id)
        if record is None or record.deleted_at is not None:
            raise ApiProblem(404, "Not found.")
        return record

    def list_files(self, params: dict[str, str]) -> list[SourceFileRecord]:
        found = [f for f in self.files.values() if f.deleted_at is None]
        wanted = params.get("file")
        if wanted:
            found = [f for f in found if wanted in (f.id, f.name)]
        for key in ("min_date", "max_date"):
            if params.get(key):
                _parse_date(params[key], key)
        if params.get("min_date"):
            found = [f for f in found if f.created_at.date().isoformat() >= params["min_date"]]
        if params.get("max_date"):
            found = [f for f in found if f.created_at.date().isoformat() <= params["max_date"]]
        if not _truthy(params.get("show_virtual")):
            found = [f for f in found if not f.virtual]
        if _truthy(params.get("only_acceptable")):
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
            raise ApiProblem(404, "Not found.")
        return order

    def _orders_newest_first(self) -> list[OrderRecord]:
        # Orders are only ever added, so the sorted list holds while the count does; listing
        # 10,000 orders page by page would otherwise sort them again for every page.
        if self._sorted_orders is None or len(self._sorted_orders) != len(self.orders):
            self._sorted_orders = sorted(
                self.orders.values(), key=lambda o: o.created_at, reverse=True
            )
        return self._sorted_orders

    def list_orders(
        self, params: dict[str, str], tag_ids: list[str], now: datetime | None = None
    ) -> list[OrderRecord]:
        """The orders a listing with these query parameters holds, newest first, at ``now``."""
        now = now or self.clock.now()
        found = self._orders_newest_first()
        wanted = params.get("filter")
        if wanted:
            found = [o for o in found if wanted in (o.id, o.file_id, o.file_name)]
        if params.get("status"):
            found = [
                o
                for o in found
                if self.order_status(o, now).casefold() == params["status"].casefold()
            ]
        group = params.get("status_group")
        if group:
            members = _lifecycle.STATUS_GROUPS.get(group.casefold())
            if members is None:
                raise ApiProblem(400, f"status_group: unknown value {group[:40]!r}")
            found = [o for o in found if self.order_status(o, now) in members]
        if tag_ids:
            found = [o for o in found if set(tag_ids) <= set(o.tag_ids)]
        for key in ("min_date", "max_date"):
            if params.get(key):
                _parse_date(params[key], key)
        if params.get("min_date"):
            found = [o for o in found if o.created_at.date().isoformat() >= params["min_date"]]
        if params.get("max_date"):
            found = [o for o in found if o.created_at.date().isoformat() <= params["max_date"]]
        return found

    def check_tags(self, tag_ids: Iterable[Any]) -> list[str]:
        checked = []
        for tag_id in tag_ids:
            if not isinstance(tag_id, str) or tag_id not in self.tags:
                raise ApiProblem(400, f"tags_ids: tag {str(tag_id)[:40]!r} does not exist")
            checked.append(tag_id)
        return checked

    def submit_order(self, body: dict[str, Any], submitted_by: str) -> OrderRecord:
        file_id = body.get("source_file_id")
        if not isinstance(file_id, str) or file_id not in self.files:
            raise ApiProblem(400, "source_file_id: source file not found")
        source = self.live_file(file_id)
        if self.file_status(source) != FileStatus.VALID:
            raise ApiProblem(400, "Source file is not valid: only VALID files can be ordered")
        model = body.get("model_name")
        if model not in self.org.available_models:
            raise ApiProblem(400, f"model_name: model {str(model)[:60]!r} is not available")
        tag_ids = self.check_tags(body.get("tags_ids") or [])
        report_types = body.get("pdf_report_types") or []
        if isinstance(report_types, str):
            report_types = [t.strip() for t in report_types.split(",") if t.strip()]
        metadata = _metadata(body.get("pdf_metadata"))
        allowed = _lifecycle.MODELS[str(model)][3]
        for report_type in report_types:
            if report_type not in allowed or report_type == "ANCESTRY":
                raise ApiProblem(400, f"pdf_report_types: {str(report_type)[:40]!r} not available")
        sex = str(metadata.get("sex", "")).casefold()
        if any(t in CANCER_REPORT_TYPES for t in report_types) and sex not in ("male", "female"):
            raise ApiProblem(400, "pdf_metadata.sex: Male or Female required for cancer reports")
        if model == _lifecycle.ANCESTRY_PDF_MODEL and not metadata.get("patient_name"):
            raise ApiProblem(400, "pdf_metadata.patient_name: required for the ancestry pdf model")
        for key in ("dob", "collected", "received"):
            if metadata.get(key):
                _parse_date(str(metadata[key]), f"pdf_metadata.{key}")
        raw = body.get("pdf_metadata")
        echoed = raw if isinstance(raw, str) else (json.dumps(raw) if raw else None)
        return self.add_order(
            source,
            str(model),
            submitted_by=submitted_by,
            tag_ids=tag_ids,
            pdf_report_types=list(report_types),
            pdf_metadata=echoed,
            fails="fail" in source.name.casefold(),
        )

    def add_order(
        self,
        source: SourceFileRecord,
        model: str,
        *,
        submitted_by: str,
        tag_ids: list[str],
        pdf_report_types: list[str],
        pdf_metadata: str | None = None,
        fails: bool = False,
        created_at: datetime | None = None,
        pinned_status: str | None = None,
        result_sizes: dict[str, int] | None = None,
        report_size: int | None = None,
    ) -> OrderRecord:
        samples = [
            f"{source.sample_alias or 'sample'}-{n}"
            for n in range(1, max(source.verdict.amount_of_samples, 1) + 1)
        ]
        order = OrderRecord(
            id=self.new_id(),
            file_id=source.id,
            file_name=source.name,
            file_short_path=source.short_path,
            model=model,
            genome_type=source.verdict.genome_type,
            samples=samples,
            submitted_by=submitted_by,
            created_at=created_at or self.clock.now(),
            tag_ids=tag_ids,
            pdf_report_types=pdf_report_types,
            pdf_metadata=pdf_metadata,
            fails=fails,
            pinned_status=pinned_status,
            result_sizes=dict(result_sizes or {}),
            result_id=self.new_id(),
        )
        report_kinds = list(pdf_report_types)
        if model == _lifecycle.ANCESTRY_PDF_MODEL:
            report_kinds = [""]
        for kind in report_kinds:
            for sample in samples:
                order.reports.append(self._make_report(order, sample, kind, report_size))
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
            raise ApiProblem(
                400,
                f"Order {order.id} is {status}: "
                "only Registered or Submitted orders can be cancelled",
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
                raise ApiProblem(400, f"Order {order.id} is {status}: results are not ready")
            raise ApiProblem(404, f"Result {result_type[:40]} not found for order {order.id}")
        if pdf_request_id:
            if result_type != ResultType.PDF_REPORT:
                raise ApiProblem(400, "pdf_request_id is only valid with result_type=PDF_REPORT")
            for report in order.reports:
                if report.id == pdf_request_id:
                    return report.content, report.file_name
            raise ApiProblem(404, f"PDF report {pdf_request_id[:40]} not found")
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
            raise ApiProblem(400, "name: This field may not be blank.")
        if any(t.name == name for t in self.tags.values()):
            raise ApiProblem(400, f"name: tag {name[:60]!r} already exists")
        tag = TagRecord(self.new_id(), name)
        self.tags[tag.id] = tag
        return tag

    def live_tag(self, tag_id: str) -> TagRecord:
        tag = self.tags.get(tag_id)
        if tag is None:
            raise ApiProblem(404, "Not found.")
        return tag


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().casefold() in ("1", "true", "yes", "on")


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
    return raw
