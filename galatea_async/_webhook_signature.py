"""Galatea's webhook signature: ``base64(HMAC-SHA256(key=secret, msg=sender_host + body))``.

Pure functions: ``sign`` makes the ``X-Octopod-Signature`` value for a body, ``verify_signature``
checks one in constant time against one secret or several (while rotating).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

__all__ = [
    "PRODUCTION_SENDER_HOST",
    "SANDBOX_SENDER_HOST",
    "WEBHOOK_SIGNATURE_HEADER",
    "check_secrets",
    "check_sender_host",
    "sign",
    "verify_signature",
]

WEBHOOK_SIGNATURE_HEADER = "X-Octopod-Signature"
PRODUCTION_SENDER_HOST = "api.galatea.bio"
SANDBOX_SENDER_HOST = "api.sandbox.galatea.bio"

_DIGEST_SIZE = hashlib.sha256().digest_size


def _check_body(body: object) -> bytes:
    if isinstance(body, str):
        raise TypeError(
            "body must be the raw request bytes, not str: pass them unchanged, "
            "e.g. `await request.body()` (decoding and re-encoding can break the signature)"
        )
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be bytes (the raw request body), got {type(body).__name__}")
    return bytes(body)


def check_sender_host(sender_host: object) -> str:
    """``sender_host`` if it is a bare host name; ``TypeError`` or ``ValueError`` naming the fix."""
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


def check_secrets(secret: str | Sequence[str]) -> list[str]:
    """``secret`` as a list of non-empty secrets; ``TypeError`` or ``ValueError`` naming the fix."""
    secrets: object = [secret] if isinstance(secret, str) else secret
    if isinstance(secrets, (bytes, bytearray)) or not isinstance(secrets, Sequence):
        raise TypeError("secret must be a str (or a list of str while rotating secrets)")
    checked: list[str] = []
    for item in secrets:
        if not isinstance(item, str):
            raise TypeError("secret must be a str (or a list of str while rotating secrets)")
        if not item:
            raise ValueError(
                "the webhook secret is empty: pass the organization's webhooks_secret "
                "(from `await client.users.me()`, `.org.webhooks_secret`)"
            )
        checked.append(item)
    if not checked:
        raise ValueError("no webhook secret given: pass the organization's webhooks_secret")
    return checked


def _digest(key: bytes, sender_host: str, body: bytes) -> bytes:
    return hmac.new(key, sender_host.encode("utf-8") + body, hashlib.sha256).digest()


def sign(body: bytes, *, secret: str, sender_host: str) -> str:
    """The ``X-Octopod-Signature`` value Galatea would send with ``body``: for your tests."""
    if not isinstance(secret, str):
        raise TypeError("secret must be a str")
    key = check_secrets(secret)[0].encode("utf-8")
    digest = _digest(key, check_sender_host(sender_host), _check_body(body))
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
    host = check_sender_host(sender_host)
    keys = [item.encode("utf-8") for item in check_secrets(secret)]
    received = _decode_signature(signature)
    if received is None:
        return False
    matched = False
    for key in keys:  # compare against every key, so timing does not tell which one matched
        matched |= hmac.compare_digest(_digest(key, host, raw), received)
    return matched
