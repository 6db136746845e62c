"""Keep secrets and patient fields out of messages, reprs and logs.

Four layers, all pure apart from the registry:
- every secret a client holds (API key, password, tokens, webhook secret) is registered here
  and replaced wherever it appears, even when a server echoes it back inside a message;
- the values a caller sent with one request (the ``pdf_metadata`` of a submit) are passed as
  ``extra_secrets`` for that request's errors, and replaced whatever their case (short ones
  only where they stand as a whole word);
- anything shaped like a bearer token or a JWT is replaced, and so is the value after a secret
  or patient key in ``key: value`` / ``key=value`` text (up to the next separator);
- in structured values, the values under secret or patient keys are replaced whole, and a
  structure nested deeper than ``MAX_DEPTH`` is cut there (no recursion limit is reached).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
# Structures deeper than this are cut (the deeper part replaced): no API answer nests so deep.
MAX_DEPTH = 64

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

# Header names whose values are credentials or session state, hidden whole.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "proxy-authenticate",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-octopod-signature",
    }
)

# Secrets shorter than this are not registered: replacing them would mangle ordinary text.
_MIN_SECRET_LENGTH = 6

# A credential after Bearer/Basic: never a plain lowercase word ("Basic auth", "bearer token"
# are prose); real tokens and base64 carry digits, capitals or punctuation.
_BEARER = re.compile(
    r"\b((?i:bearer|basic))\s+(?![a-z]+(?:\.?(?:\s|$)|[,;:!?)\]}'\"]))[A-Za-z0-9._~+/=-]+"
)
# The user name and password of a URL (a proxy's): ``scheme://[REDACTED]@host`` (``***@``
# is already masked).
_URL_USERINFO = re.compile(r"(?<=://)(?!\*\*\*@)[^/\s@]+@")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_KEY_VALUE = re.compile(
    r"""(?ix)
    (["']?)\b(?P<key>"""
    + "|".join(sorted((re.escape(k) for k in _SENSITIVE_KEYS), key=len, reverse=True))
    + r""")\1
    (?P<sep>\s*[:=]\s*)
    (?!\[REDACTED\])
    (?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\]"'()][^,;&}\]"'\n]*)
    """
)
# Per-request values shorter than this are not redacted at all; shorter than
# ``_MIN_SECRET_LENGTH`` only where they stand as a whole word.
_MIN_FIELD_LENGTH = 2

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


def _field_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    parts: list[str] = []
    for value in sorted({v.strip() for v in values if isinstance(v, str)}, key=len, reverse=True):
        if len(value) >= _MIN_SECRET_LENGTH:
            parts.append(re.escape(value))
        elif len(value) >= _MIN_FIELD_LENGTH:
            parts.append(rf"(?<!\w){re.escape(value)}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, token-shaped string and sensitive field replaced.

    ``extra_secrets`` are one request's sensitive values (patient fields): replaced whatever
    their case, and, when shorter than 6 characters, only as whole words.
    """
    pattern = _field_pattern(extra_secrets)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for secret in _known_secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    if "://" in text:
        text = _URL_USERINFO.sub(f"{REDACTED}@", text)
    return _KEY_VALUE.sub(
        lambda m: f"{m.group(1)}{m.group('key')}{m.group(1)}{m.group('sep')}{REDACTED}", text
    )


def redact_value(value: Any, extra_secrets: Iterable[str] = ()) -> Any:
    """A copy of a decoded JSON value with sensitive keys' values and secrets replaced.

    Iterative, so any depth is safe; below ``MAX_DEPTH`` levels a structure is replaced whole.
    """
    values = tuple(extra_secrets)

    def leaf(item: Any) -> Any:
        return redact_text(item, values) if isinstance(item, str) else item

    if not isinstance(value, (dict, list)):
        return leaf(value)
    root: Any = {} if isinstance(value, dict) else []
    # (source container, copy being filled, depth of the copy)
    stack: list[tuple[Any, Any, int]] = [(value, root, 1)]
    while stack:
        source, copy, depth = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(source, dict) and _is_sensitive_key(key) and item is not None:
                new: Any = REDACTED
            elif isinstance(item, (dict, list)):
                if depth >= MAX_DEPTH:
                    new = REDACTED
                else:
                    new = {} if isinstance(item, dict) else []
                    stack.append((item, new, depth + 1))
            else:
                new = leaf(item)
            if isinstance(copy, dict):
                copy[key] = new
            else:
                copy.append(new)
    return root


def _is_sensitive_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in _SENSITIVE_KEYS


def field_values(value: Any) -> tuple[str, ...]:
    """Every string and number inside ``value`` (a structure a caller sent), as text: the
    values to redact from the errors of that caller's request."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif item is not None and not isinstance(item, bool):
            found.append(item if isinstance(item, str) else str(item))
    return tuple(found)


def redact_headers(
    headers: Iterable[tuple[str, str]], extra_secrets: Iterable[str] = ()
) -> dict[str, str]:
    """Headers with lower-case names, credential headers hidden whole and every other value
    redacted as text; a repeated header's values are joined with ``", "``."""
    values = tuple(extra_secrets)
    result: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        shown = REDACTED if key in SECRET_HEADERS else redact_text(value, values)
        result[key] = f"{result[key]}, {shown}" if key in result else shown
    return result
