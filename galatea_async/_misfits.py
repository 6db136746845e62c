"""Where a structuring error happened and what was expected there, in words, never the value.

``describe_misfit`` walks cattrs' exception groups (``ClassValidationError`` notes name the
field, ``IterableValidationError`` notes the index) to a path like ``Order.tags[2].name``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

import attrs
from cattrs.errors import ClassValidationError, IterableValidationError

__all__ = ["describe_misfit"]


def describe_misfit(error: BaseException, cls: Any) -> str:
    """Where a structuring error happened and what was expected there, without any value."""
    root = _type_name(cls)
    misfits = list(_misfits(error, root, cls))
    path, expected, missing = misfits[0] if misfits else (root, cls, False)
    text = f"{path} is missing" if missing else f"{path} is not {_expected(expected)}"
    if len(misfits) > 1:
        text += f" (and {len(misfits) - 1} more field{'s' if len(misfits) > 2 else ''})"
    return text


def _misfits(error: BaseException, path: str, expected: Any) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(error, ClassValidationError):
        with_notes, others = error.group_exceptions()
        for inner, note in with_notes:
            yield from _misfits(inner, f"{path}.{note.name}", note.type)
        for inner in others:
            yield from _misfits(inner, path, expected)
    elif isinstance(error, IterableValidationError):
        with_index, others = error.group_exceptions()
        for inner, index_note in with_index:
            yield from _misfits(inner, f"{path}[{index_note.index}]", index_note.type)
        for inner in others:
            yield from _misfits(inner, path, expected)
    else:
        yield path, expected, isinstance(error, KeyError)


def _type_name(cls: Any) -> str:
    if getattr(cls, "__origin__", None) is list:
        return f"list[{_type_name(cls.__args__[0])}]"
    return getattr(cls, "__name__", str(cls))


_EXPECTED = {
    int: "an integer",
    float: "a finite number",
    str: "text",
    bool: "true or false",
    dt.datetime: "an ISO 8601 timestamp",
}


def _expected(cls: Any) -> str:
    """What a field of type ``cls`` should hold, in words (``None`` allowed where it is)."""
    args = [arg for arg in getattr(cls, "__args__", ()) if arg is not type(None)]
    if len(args) == 1 and len(getattr(cls, "__args__", ())) == 2:
        return f"{_expected(args[0])} or null"
    if getattr(cls, "__origin__", None) is list:
        return "a list"
    if cls in _EXPECTED:
        return _EXPECTED[cls]
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return "text"
    if isinstance(cls, type) and attrs.has(cls):
        return f"a {cls.__name__} object"
    return "of the documented type"
