"""``client.orders``: submit, find, tag, cancel and wait for execution orders."""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

import anyio

from galatea_async._converter import structure
from galatea_async._enums import (
    OrderStatus,
    OrderStatusValue,
    PdfReportType,
    PdfReportTypeValue,
    StatusGroup,
    StatusGroupValue,
)
from galatea_async._models import Order, PdfMetadata
from galatea_async._polling import PollSleeper, check_poll_interval
from galatea_async._validation import (
    check_id,
    check_ids,
    check_text,
    pdf_metadata_payload,
    pdf_report_types_payload,
)
from galatea_async.errors import (
    APIConnectionError,
    InternalServerError,
    InvalidResponseError,
    OrderFailedError,
    OrderSubmissionUncertainError,
    RateLimitError,
    ServiceUnavailableError,
    WaitTimeoutError,
)
from galatea_async.resources._base import FilteredById, Resource, date_range_params

__all__ = ["OrdersResource", "matches_order_filter", "pick_reconciled_order"]

logger = logging.getLogger("galatea_async")

# Server and client clocks differ; an order started this long before the call still counts.
_CLOCK_SKEW = dt.timedelta(minutes=5)


def pick_reconciled_order(
    candidates: Iterable[Order], *, known_ids: set[str], model_name: str, since: dt.datetime
) -> Order | None:
    """The order a failed submit may have created: new, same model, started since the call.

    Pure, for the reconciliation after an ambiguous submit. Orders that existed before the call
    (``known_ids``) never count; among the rest the newest wins.
    """
    fresh = [
        order
        for order in candidates
        if order.id not in known_ids
        and (order.model or "").strip().lower() == model_name.strip().lower()
        and (order.started_at is None or order.started_at >= since - _CLOCK_SKEW)
    ]
    if not fresh:
        return None
    return max(fresh, key=lambda order: order.started_at or since)


def matches_order_filter(value: str) -> Callable[[Order], bool]:
    """Whether an order answers ``filter=value``: the API matches it against the order's id,
    its source file's id and its source file's name (any part of the name, to be lenient)."""
    folded = value.casefold()

    def matches(order: Order) -> bool:
        return (
            value in (order.id, order.src_file_id)
            or folded in (order.src_file_name or "").casefold()
        )

    return matches


_ORDERS_BY_ID = FilteredById(
    template="exec/orders",
    model=Order,
    filter_name="filter",
    id_name="order_id",
    what="order",
    matches_filter=matches_order_filter,
)


class OrdersResource(Resource):
    """Execution orders."""

    def list(
        self,
        *,
        filter: str | uuid.UUID | None = None,
        status: OrderStatus | OrderStatusValue | None = None,
        status_group: StatusGroup | StatusGroupValue | None = None,
        tag_ids: Sequence[str | uuid.UUID] | None = None,
        min_date: dt.date | str | None = None,
        max_date: dt.date | str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Order]:
        """Iterate over orders, newest first.

        ``filter`` is an order id, a source file id or a source file name; ``status_group``
        is one of initializing, running, completed, failed.
        """
        if status is not None:
            status = OrderStatus.from_caller(status, "status")
        if status_group is not None:
            status_group = StatusGroup.from_caller(status_group, "status_group")
        params: dict[str, Any] = {
            "filter": str(filter) if filter is not None else None,
            "status": str(status) if status is not None else None,
            "status_group": str(status_group) if status_group is not None else None,
            "tag_ids": ",".join(check_ids(tag_ids, "tag_ids")) if tag_ids else None,
            **date_range_params(min_date, max_date),
        }
        return self._listing("exec/orders", Order, params, limit=limit, page_size=page_size)

    async def get(self, order_id: str | uuid.UUID) -> Order:
        """The order with this id; ``NotFoundError`` if there is none.

        One request (the API has no ``GET exec/orders/{id}``: the listing filtered on the id);
        ``InvalidResponseError`` if the server ignores the filter.
        """
        return await self._look_up(_ORDERS_BY_ID, order_id)

    async def _orders_of_file(self, file_id: str) -> builtins.list[Order]:
        """The orders on a source file, checked against the filter as they come: an order
        of another file means the server ignored ``filter=`` (``InvalidResponseError``, after
        one page), not a reason to walk every order."""
        matches = matches_order_filter(file_id)
        found: builtins.list[Order] = []
        async for order in self.list(filter=file_id):
            if not matches(order):
                raise InvalidResponseError(
                    f"looking up the orders on source file {file_id}, the server answered "
                    f"orders of other files: it ignored filter={file_id}, so the SDK cannot "
                    "tell whether this submit would create a second order; nothing was "
                    "submitted. Check that base_url points at the Galatea API",
                    method="GET",
                    path=self._path_of("exec/orders"),
                )
            found.append(order)
        return found

    async def submit(
        self,
        source_file_id: str | uuid.UUID,
        model_name: str,
        *,
        tag_ids: Sequence[str | uuid.UUID] = (),
        pdf_report_types: Sequence[PdfReportType | PdfReportTypeValue] = (),
        pdf_metadata: PdfMetadata | Mapping[str, Any] | None = None,
    ) -> Order:
        """Submit an order on a VALID source file; never creates two orders for one call.

        If the submit fails after the request may have reached the server (a timeout, a
        reset, a 5xx), the orders on that file are looked up: the order is returned if it was
        created, else ``OrderSubmissionUncertainError`` says how to check later.
        """
        file_id = check_id(source_file_id, "source_file_id")
        model = check_text(model_name, "model_name")
        report_types = pdf_report_types_payload(pdf_report_types)
        payload: dict[str, Any] = {
            "source_file_id": file_id,
            "model_name": model,
            "tags_ids": check_ids(tag_ids, "tag_ids"),
        }
        if report_types:
            payload["pdf_report_types"] = report_types
        metadata = pdf_metadata_payload(
            pdf_metadata, model_name=model, pdf_report_types=report_types
        )
        if metadata is not None:
            payload["pdf_metadata"] = metadata

        known_ids = {order.id for order in await self._orders_of_file(file_id)}
        since = dt.datetime.now(dt.timezone.utc)
        try:
            data = await self._requester.request(
                "POST", "exec/orders", json=payload, idempotent=False, sensitive=metadata
            )
        except (APIConnectionError, InternalServerError) as exc:
            # The request may have been processed: find out before anyone submits again.
            return await self._reconcile(exc, file_id, model, known_ids, since)
        if isinstance(data, list):
            data = data[0] if data else None
        if not isinstance(data, dict):
            raise InvalidResponseError("exec/orders answered a submit without the new order")
        return structure(data, Order)

    async def _reconcile(
        self,
        error: Exception,
        file_id: str,
        model: str,
        known_ids: set[str],
        since: dt.datetime,
    ) -> Order:
        logger.info(
            "submit on %s failed ambiguously (%s); looking for the order",
            file_id,
            type(error).__name__,
        )
        try:
            candidates = await self._orders_of_file(file_id)
        except Exception as lookup_error:  # the server is still unwell: say what we know
            candidates = []
            logger.info("reconciliation lookup failed: %s", type(lookup_error).__name__)
        order = pick_reconciled_order(
            candidates, known_ids=known_ids, model_name=model, since=since
        )
        if order is not None:
            logger.info("submit on %s reconciled: order %s exists", file_id, order.id)
            return order
        reason = getattr(error, "message", type(error).__name__)
        raise OrderSubmissionUncertainError(
            f"submitting {model!r} on source file {file_id} failed ({reason}) "
            "and no new order was found yet; the server may still create it. Check with "
            f"`client.orders.list(filter={file_id!r})` before submitting again",
            source_file_id=file_id,
            model_name=model,
        ) from error

    async def update_tags(
        self, order_id: str | uuid.UUID, tag_ids: Sequence[str | uuid.UUID]
    ) -> Order:
        """Replace an order's tags; returns the updated order."""
        data = await self._requester.request(
            "PATCH",
            "exec/orders/{order_id}",
            path_params={"order_id": check_id(order_id, "order_id")},
            json={"tags_ids": check_ids(tag_ids, "tag_ids")},
        )
        return structure(data, Order)

    async def cancel(self, order_id: str | uuid.UUID) -> None:
        """Cancel an order; only Registered and Submitted orders can be cancelled."""
        await self._requester.request(
            "POST",
            "exec/cancel",
            json={"order_id": check_id(order_id, "order_id")},
            idempotent=False,
        )

    async def wait(
        self,
        order_id: str | uuid.UUID,
        *,
        timeout: float = 3600.0,
        poll_interval: float = 15.0,
        raise_on_failure: bool = False,
    ) -> Order:
        """Poll until the order reaches a final status, and return it.

        Polls after about 1 s, then twice as long each time up to ``poll_interval``; a
        server too busy to answer (429, 503) is asked again once its ``Retry-After`` has
        passed. With ``raise_on_failure=True`` a final status other than Completed raises
        ``OrderFailedError``. ``WaitTimeoutError`` after ``timeout`` seconds.
        """
        wanted = check_id(order_id, "order_id")
        sleeper = PollSleeper(check_poll_interval(poll_interval))
        with anyio.move_on_after(timeout):
            while True:
                try:
                    order = await self.get(wanted)
                except (RateLimitError, ServiceUnavailableError) as busy:
                    await sleeper.sleep(busy.retry_after)
                    continue
                if order.is_final:
                    if raise_on_failure and not order.is_completed:
                        status = order.status.value if order.status else "unknown"
                        raise OrderFailedError(
                            f"order {wanted} ended {status}; download its EXEC_ERRORS result "
                            "for the reason",
                            order_id=wanted,
                            status=status,
                        )
                    return order
                await sleeper.sleep()
        raise WaitTimeoutError(
            f"order {wanted} did not reach a final status within {timeout:g} s; wait again "
            "or check client.orders.get()"
        )
