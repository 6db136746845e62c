"""Verify and parse the webhooks Galatea delivers.

Galatea signs each delivery: the ``X-Octopod-Signature`` header holds
``base64(HMAC-SHA256(key=webhooks_secret, msg=sender_host + raw_body))``, where
``sender_host`` is the API's host name (``api.galatea.bio``, sandbox
``api.sandbox.galatea.bio``) and the secret is ``(await client.users.me()).org.webhooks_secret``.

In a Starlette or FastAPI handler::

    from galatea_async import webhooks

    body = await request.body()  # the raw bytes: re-encoded JSON would not verify
    event = webhooks.parse_event(
        body,
        request.headers.get(webhooks.WEBHOOK_SIGNATURE_HEADER),
        secret=webhooks_secret,
        sender_host=webhooks.PRODUCTION_SENDER_HOST,
    )
    current = await event.fetch(client)  # the Order or SourceFile as it is now

The signature carries no timestamp or nonce, so a captured delivery can be replayed later and
still verify. Treat an event as a trigger, not as the truth: fetch the current state
(``await client.orders.get(event.order_id)``, ``await client.files.get(event.source_file_id)``)
and make the handler idempotent, so a replayed or repeated delivery does no harm.

A secret being rotated can be given as a list: a delivery signed with any of them verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from galatea_async._converter import register_model
from galatea_async._enums import FINAL_ORDER_STATUSES, FileStatus, OrderStatus
from galatea_async._models import _JsonModel
from galatea_async.errors import InvalidSignatureError

if TYPE_CHECKING:
    from galatea_async._client import AsyncGalatea
    from galatea_async._models import Order, SourceFile

__all__ = [
    "PRODUCTION_SENDER_HOST",
    "SANDBOX_SENDER_HOST",
    "WEBHOOK_SIGNATURE_HEADER",
    "FileValidatedEvent",
    "OrderStatusEvent",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookReceiver",
    "parse_event",
    "sign",
    "verify_signature",
]

WEBHOOK_SIGNATURE_HEADER = "X-Octopod-Signature"
PRODUCTION_SENDER_HOST = "api.galatea.bio"
SANDBOX_SENDER_HOST = "api.sandbox.galatea.bio"

_DIGEST_SIZE = hashlib.sha256().digest_size


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

    async def fetch(self, client: AsyncGalatea) -> SourceFile:
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

    async def fetch(self, client: AsyncGalatea) -> Order:
        """The order as it is now: safe to call for a replayed or repeated delivery."""
        return await client.orders.get(self.order_id)

    @property
    def is_final(self) -> bool:
        """Whether the order's new status is final (Completed, Failed, Canceled, ...)."""
        return self.new_status in FINAL_ORDER_STATUSES


register_model(FileValidatedEvent)
register_model(OrderStatusEvent)


WebhookEvent: TypeAlias = FileValidatedEvent | OrderStatusEvent


def _check_body(body: object) -> bytes:
    if isinstance(body, str):
        raise TypeError(
            "body must be the raw request bytes, not str: pass them unchanged, "
            "e.g. `await request.body()` (decoding and re-encoding can break the signature)"
        )
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be bytes (the raw request body), got {type(body).__name__}")
    return bytes(body)


def _check_sender_host(sender_host: object) -> str:
    if not isinstance(sender_host, str):
        raise TypeError(f"sender_host must be a str, got {type(sender_host).__name__}")
    looks_like_url = any(mark in sender_host for mark in ("://", "/", "?", "#", "@"))
    if (
        not sender_host
        or looks_like_url
        or sender_host != sender_host.strip()
        or " " in sender_host
    ):
        raise ValueError(
            f"sender_host must be the API host name alone, not a URL: got {sender_host!r}; "
            f"use {PRODUCTION_SENDER_HOST!r} (sandbox: {SANDBOX_SENDER_HOST!r})"
        )
    return sender_host


def _check_secrets(secret: str | Sequence[str]) -> list[bytes]:
    secrets: object = [secret] if isinstance(secret, str) else secret
    if isinstance(secrets, (bytes, bytearray)) or not isinstance(secrets, Sequence):
        raise TypeError("secret must be a str (or a list of str while rotating secrets)")
    keys: list[bytes] = []
    for item in secrets:
        if not isinstance(item, str):
            raise TypeError("secret must be a str (or a list of str while rotating secrets)")
        if not item:
            raise ValueError(
                "the webhook secret is empty: pass the organization's webhooks_secret "
                "(from `await client.users.me()`, `.org.webhooks_secret`)"
            )
        keys.append(item.encode("utf-8"))
    if not keys:
        raise ValueError("no webhook secret given: pass at least one")
    return keys


def _digest(key: bytes, sender_host: str, body: bytes) -> bytes:
    return hmac.new(key, sender_host.encode("utf-8") + body, hashlib.sha256).digest()


def sign(body: bytes, *, secret: str, sender_host: str) -> str:
    """The ``X-Octopod-Signature`` value Galatea would send with ``body``: for your tests."""
    if not isinstance(secret, str):
        raise TypeError("secret must be a str")
    key = _check_secrets(secret)[0]
    digest = _digest(key, _check_sender_host(sender_host), _check_body(body))
    return base64.b64encode(digest).decode("ascii")


def _decode_signature(signature: object) -> bytes | None:
    if not isinstance(signature, str):
        return None
    text = signature.strip()
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Canonical form only: no extra padding, no stray bits, exactly one SHA-256 digest.
    if len(decoded) != _DIGEST_SIZE or base64.b64encode(decoded).decode("ascii") != text:
        return None
    return decoded


def verify_signature(
    body: bytes | bytearray | memoryview,
    signature: str | None,
    *,
    secret: str | Sequence[str],
    sender_host: str,
) -> bool:
    """Whether ``signature`` (the ``X-Octopod-Signature`` header) signs ``body``; constant-time.

    ``body`` is the raw request body (``TypeError`` for ``str``); ``sender_host`` the API's
    bare host name (``ValueError`` for a URL). ``secret`` may be a list while rotating: any
    match verifies. A missing, malformed or wrong signature gives ``False``.
    """
    raw = _check_body(body)
    host = _check_sender_host(sender_host)
    keys = _check_secrets(secret)
    received = _decode_signature(signature)
    if received is None:
        return False
    matched = False
    for key in keys:  # compare against every key, so timing does not tell which one matched
        matched |= hmac.compare_digest(_digest(key, host, raw), received)
    return matched


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


# The mountable receiver lives in its own module and builds on parse_event above.
from galatea_async._webhook_receiver import WebhookHandler, WebhookReceiver  # noqa: E402
