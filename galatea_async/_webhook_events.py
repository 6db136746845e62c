"""The events a webhook delivery carries, and ``parse_event``, which verifies and parses one.

The event classes belong to the public ``galatea_async.webhooks`` (their ``__module__`` says so,
for the reference and for pickling). Their annotations are evaluated at definition, not as
strings, because type hints of a class are resolved in the namespace of its ``__module__``.
"""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from galatea_async._converter import register_model
from galatea_async._enums import FINAL_ORDER_STATUSES, FileStatus, OrderStatus
from galatea_async._models import _JsonModel
from galatea_async._webhook_signature import (
    PRODUCTION_SENDER_HOST,
    SANDBOX_SENDER_HOST,
    WEBHOOK_SIGNATURE_HEADER,
    verify_signature,
)
from galatea_async.errors import InvalidSignatureError

if TYPE_CHECKING:
    from galatea_async._client import AsyncGalatea
    from galatea_async._models import Order, SourceFile

__all__ = ["FileValidatedEvent", "OrderStatusEvent", "WebhookEvent", "parse_event"]


@attrs.frozen
class FileValidatedEvent(_JsonModel):
    """A source file finished validation; ``new_status`` is VALID, NOT_VALID or FAILED.

    :ivar source_file_id: The file's id.
    :ivar new_status: Its validation status now.
    :ivar source_file_name: The file's name as uploaded.
    :ivar extra: Fields of the delivery beyond these, by their JSON names.
    """

    source_file_id: str
    new_status: FileStatus
    source_file_name: str
    extra: dict[str, Any] = attrs.field(factory=dict, hash=False, repr=False)

    async def fetch(self, client: "AsyncGalatea") -> "SourceFile":
        """The file as it is now: safe to call for a replayed or repeated delivery."""
        return await client.files.get(self.source_file_id)


@attrs.frozen
class OrderStatusEvent(_JsonModel):
    """An order changed status (in practice: reached a final one).

    :ivar order_id: The order's id.
    :ivar new_status: Its status now.
    :ivar source_file_id: The id of the source file it runs on.
    :ivar source_file_name: That file's name as uploaded.
    :ivar extra: Fields of the delivery beyond these, by their JSON names.
    """

    order_id: str
    new_status: OrderStatus
    source_file_id: str
    source_file_name: str
    extra: dict[str, Any] = attrs.field(factory=dict, hash=False, repr=False)

    async def fetch(self, client: "AsyncGalatea") -> "Order":
        """The order as it is now: safe to call for a replayed or repeated delivery."""
        return await client.orders.get(self.order_id)

    @property
    def is_final(self) -> bool:
        """Whether the order's new status is final (Completed, Failed, Canceled, ...)."""
        return self.new_status in FINAL_ORDER_STATUSES


for _event in (FileValidatedEvent, OrderStatusEvent):
    _event.__module__ = "galatea_async.webhooks"
    register_model(_event)


WebhookEvent: TypeAlias = FileValidatedEvent | OrderStatusEvent


def parse_event(
    body: bytes | bytearray | memoryview,
    signature: str | None,
    *,
    secret: str | Sequence[str],
    sender_host: str,
) -> FileValidatedEvent | OrderStatusEvent:
    """The typed event a verified delivery carries.

    Raises ``InvalidSignatureError`` if the signature is missing or does not match, and
    ``ValueError`` if the body is not a JSON object of one of the two kinds.
    """
    if not verify_signature(body, signature, secret=secret, sender_host=sender_host):
        if signature is None:
            problem = f"the {WEBHOOK_SIGNATURE_HEADER} header is missing"
        else:
            problem = f"the {WEBHOOK_SIGNATURE_HEADER} header does not match the body"
        raise InvalidSignatureError(
            f"{problem}: check the webhooks secret (org.webhooks_secret from users.me()), "
            f"the sender_host ({PRODUCTION_SENDER_HOST!r} or {SANDBOX_SENDER_HOST!r}) and "
            "that the raw request body is passed unchanged"
        )
    try:
        payload = json.loads(bytes(body))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("webhook body is not JSON") from None
    except RecursionError:
        raise ValueError("webhook body is JSON nested too deeply to be an event") from None
    if not isinstance(payload, dict):
        raise ValueError(f"webhook body is a JSON {type(payload).__name__}, not an object")
    if "order_id" in payload:
        return _order_event(payload)
    if "source_file_id" in payload:
        return _file_event(payload)
    raise ValueError(
        "webhook body is neither an order event (order_id, new_status, source_file_id, "
        "source_file_name) nor a file event (source_file_id, new_status, source_file_name); "
        f"its keys: {sorted(map(str, payload))}"
    )


_ORDER_FIELDS = ("order_id", "new_status", "source_file_id", "source_file_name")
_FILE_FIELDS = ("source_file_id", "new_status", "source_file_name")


def _fields(payload: dict[str, Any], names: tuple[str, ...], kind: str) -> dict[str, str]:
    missing = [name for name in names if not isinstance(payload.get(name), str)]
    if missing:
        raise ValueError(f"{kind} webhook lacks string field(s): {', '.join(missing)}")
    return {name: payload[name] for name in names}


def _extra(payload: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in names}


def _order_event(payload: dict[str, Any]) -> OrderStatusEvent:
    fields = _fields(payload, _ORDER_FIELDS, "order")
    return OrderStatusEvent(
        order_id=fields["order_id"],
        new_status=_order_status(fields["new_status"]),
        source_file_id=fields["source_file_id"],
        source_file_name=fields["source_file_name"],
        extra=_extra(payload, _ORDER_FIELDS),
    )


def _file_event(payload: dict[str, Any]) -> FileValidatedEvent:
    fields = _fields(payload, _FILE_FIELDS, "file")
    return FileValidatedEvent(
        source_file_id=fields["source_file_id"],
        new_status=FileStatus(fields["new_status"]),
        source_file_name=fields["source_file_name"],
        extra=_extra(payload, _FILE_FIELDS),
    )


def _order_status(value: str) -> OrderStatus:
    # Webhooks may spell "QC failed" as "QC_FAILED": match the documented value either way.
    for candidate in (value, value.replace("_", " ")):
        folded = candidate.casefold()
        for member in OrderStatus.__members__.values():
            if member.value.casefold() == folded:
                return member
    return OrderStatus(value)
