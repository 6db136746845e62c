"""Keep secrets and patient fields out of messages, reprs and logs.

Three layers, all pure apart from the registry:
- every secret a client holds (API key, password, tokens, webhook secret) is registered here
  and replaced wherever it appears, even when a server echoes it back inside a message;
- anything shaped like a bearer token or a JWT is replaced;
- in structured values, the values under secret or patient keys are replaced.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"

# Keys whose values are credentials.
SECRET_KEYS = frozenset(
    {
        "access",
        "refresh",
        "websocket_access",
        "token",
        "access_token",
        "refresh_token",
        "api_key",
        "apikey",
        "password",
        "secret",
        "webhooks_secret",
        "webhook_secret",
        "authorization",
        "x-octopod-signature",
    }
)

# Keys whose values are patient data (the PDF metadata fields of the reference).
PATIENT_KEYS = frozenset(
    {
        "patient_name",
        "dob",
        "sex",
        "patient_id",
        "accession",
        "sample_id",
        "collected",
        "received",
        "specimen_type",
        "provider_name",
        "referring_facility",
        "address",
        "pdf_metadata",
    }
)

_SENSITIVE_KEYS = SECRET_KEYS | PATIENT_KEYS

# Secrets shorter than this are not registered: replacing them would mangle ordinary text.
_MIN_SECRET_LENGTH = 6

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_KEY_VALUE = re.compile(
    r"""(?ix)
    (["']?)\b(?P<key>"""
    + "|".join(sorted((re.escape(k) for k in _SENSITIVE_KEYS), key=len, reverse=True))
    + r""")\1
    (?P<sep>\s*[:=]\s*)
    (?!\[REDACTED\])
    (?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\]]+)
    """
)

_lock = threading.Lock()
_secrets: dict[str, int] = {}


def register_secret(value: str | None) -> None:
    """Have every later message replace ``value``; counted, so two clients may share one."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets[value] = _secrets.get(value, 0) + 1


def unregister_secret(value: str | None) -> None:
    """Undo one ``register_secret``; the value stays redacted while another holder has it."""
    if not value:
        return
    with _lock:
        count = _secrets.get(value, 0) - 1
        if count <= 0:
            _secrets.pop(value, None)
        else:
            _secrets[value] = count


def _known_secrets() -> Iterable[str]:
    with _lock:
        # Longest first, so a secret containing another is replaced whole.
        return sorted(_secrets, key=len, reverse=True)


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, token-shaped string and sensitive field replaced."""
    for secret in (*extra_secrets, *_known_secrets()):
        if secret and len(secret) >= _MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _KEY_VALUE.sub(
        lambda m: f"{m.group(1)}{m.group('key')}{m.group(1)}{m.group('sep')}{REDACTED}", text
    )


def redact_value(value: Any) -> Any:
    """A copy of a decoded JSON value with sensitive keys' values and secrets replaced."""
    if isinstance(value, dict):
        return {
            key: (
                REDACTED
                if isinstance(key, str)
                and key.lower() in _SENSITIVE_KEYS
                and value[key] is not None
                else redact_value(value[key])
            )
            for key in value
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
