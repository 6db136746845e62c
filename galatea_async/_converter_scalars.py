"""The converter's structure hooks for JSON scalars (``_converter.py`` registers them):
integers, numbers, text, booleans and timestamps, strict about type, liberal about spelling."""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from typing import Any

__all__ = [
    "FROMISOFORMAT_TAKES_Z",
    "parse_datetime",
    "structure_bool",
    "structure_float",
    "structure_int",
    "structure_optional_datetime",
    "structure_str",
]

_FRACTION = re.compile(r"\.(\d+)")
# Python 3.11's fromisoformat reads "Z" and any fraction; 3.10's needs the rewriting below.
FROMISOFORMAT_TAKES_Z = sys.version_info >= (3, 11)
_UTC = dt.timezone.utc


def _iso(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_datetime(value: Any) -> dt.datetime:
    """An aware datetime from ISO 8601 text (``Z``, offsets, any fraction); naive means UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and FROMISOFORMAT_TAKES_Z and (quick := _iso(value)):
        parsed = quick  # the API's own spelling: no rewriting needed (listings parse thousands)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        # Python 3.10's fromisoformat takes exactly 3 or 6 fraction digits.
        text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
        text = text.replace(" ", "T", 1) if "T" not in text else text
        parsed = dt.datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


def structure_int(value: Any, _: Any) -> int:
    """An integer, also from integral finite floats and digit strings; never a bool."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError("not an integer")


def structure_float(value: Any, _: Any) -> float:
    """A finite number (``NaN`` and ``Infinity`` are refused), also from numeric strings."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    number = float(value) if isinstance(value, (int, float, str)) else math.nan
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def structure_str(value: Any, _: Any) -> str:
    """Text; an integer becomes its digits (ids sent as numbers), anything else is refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("not text")


def structure_bool(value: Any, _: Any) -> bool:
    """``true``/``false``, also from ``"true"``/``"false"`` and 0/1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise TypeError("not a boolean")


def structure_optional_datetime(value: Any, _: Any) -> Any:
    """A ``datetime | None`` value (the hook where ``FROMISOFORMAT_TAKES_Z``, Python 3.11+)."""
    # The API's own spelling in one call; anything else as ``parse_datetime`` reads it.
    if value.__class__ is str:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return parse_datetime(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)
    return None if value is None else parse_datetime(value)
