"""What of a value the CLI may print: pure rules, no I/O.

- Secrets (``SECRET_KEYS``) show as ``[hidden]`` unless a command asks for them on the user's
  explicit request (``galatea org info --show-secret``).
- Patient fields (``PATIENT_KEYS``, everything under ``pdf_metadata``, and table cells marked
  with ``patient``) show as ``[hidden]`` unless the user passes ``--show-patient-data``; the
  field names stay, so one can see which are set.
- Control characters (C0, DEL, C1, and the bidirectional overrides that reorder a line) never
  reach the terminal: ``printable`` shows them as ``\\xNN``/``\\uNNNN`` escapes for people and
  ``json_text`` as JSON escapes, so ``--json`` still parses to the server's exact values.
- The credentials in a URL (a proxy's, quoted by an error) are replaced.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from galatea_async._http._redact import PATIENT_KEYS, SECRET_KEYS

__all__ = [
    "HIDDEN",
    "Disclosure",
    "PatientValue",
    "json_text",
    "patient",
    "printable",
    "to_jsonable",
    "without_url_credentials",
]

HIDDEN = "[hidden]"

# Characters a terminal may act on instead of showing: C0 (ESC among them), DEL, C1 (CSI and
# OSC have one-byte forms there), and the format marks that reorder how a line reads.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The user name and password in a URL (``http://user:pass@proxy:3128``).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")
# In JSON text, ``json.dumps`` has escaped C0 already; the rest appear only inside strings.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@attrs.frozen
class Disclosure:
    """Which hidden kinds of value this run may print."""

    patient_data: bool = False
    secrets: bool = False


@attrs.frozen
class PatientValue:
    """A value that is patient data, for a table cell; its repr never shows it."""

    value: Any = attrs.field(repr=False)


def patient(get: Callable[[Any], object]) -> Callable[[Any], PatientValue]:
    """A table column's getter whose value is patient data."""
    return lambda item: PatientValue(get(item))


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), not acted on."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def without_url_credentials(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced: a proxy URL in an error."""
    return _URL_CREDENTIALS.sub(r"\1[REDACTED]@", text)


def json_text(plain: Any, *, indent: int | None = None) -> str:
    """``plain`` as JSON whose every control character is a JSON escape (same values)."""
    text = json.dumps(plain, indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def to_jsonable(value: Any, disclosure: Disclosure = Disclosure()) -> Any:
    """``value`` as plain JSON types, with what ``disclosure`` does not allow hidden."""
    return _hidden(_plain(value), disclosure)


def _plain(value: Any) -> Any:
    if isinstance(value, PatientValue):
        return PatientValue(_plain(value.value))
    if hasattr(value, "to_dict") and attrs.has(type(value)):
        # The models' own JSON form (the API's field names, ``extra`` folded back in).
        return _plain(value.to_dict())
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=False))
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (Path, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _hidden(value: Any, disclosure: Disclosure) -> Any:
    if isinstance(value, PatientValue):
        return value.value if disclosure.patient_data else _all_hidden(value.value)
    if isinstance(value, dict):
        return {key: _field(key, item, disclosure) for key, item in value.items()}
    if isinstance(value, list):
        return [_hidden(item, disclosure) for item in value]
    return value


def _field(key: str, item: Any, disclosure: Disclosure) -> Any:
    folded = key.lower()
    if folded in SECRET_KEYS and not disclosure.secrets:
        return HIDDEN if item not in (None, "") else item
    if folded in PATIENT_KEYS and not disclosure.patient_data:
        return _all_hidden(item)
    return _hidden(item, disclosure)


def _all_hidden(value: Any) -> Any:
    """Every set value inside ``value`` hidden; the names of objects' fields kept."""
    if isinstance(value, PatientValue):
        return _all_hidden(value.value)
    if isinstance(value, dict):
        return {key: _all_hidden(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_all_hidden(item) for item in value]
    return value if value in (None, "") else HIDDEN
