"""Server values that become paths (pure): an id becomes a folder's or a file's name only when
it is a canonical UUID (``is_canonical_id``): no separator, no dot, nothing a terminal would act
on. (An order's folder is then used only when it is a real folder inside ``dest``:
``_order_folders.py``.)
"""

from __future__ import annotations

import re
import uuid
from typing import TypeGuard

__all__ = ["describe_id", "is_canonical_id"]

# What ``str(uuid.UUID(...))`` spells: ASCII lower-case hex digits in groups of 8-4-4-4-12
# (matched rather than parsed: a sync checks an id a file, and parsing costs ten times more).
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_canonical_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a UUID in its canonical text (36 lower-case characters)."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None


def describe_id(value: str) -> str:
    """How a message shows an id a listing sent: a UUID spelled another way as its canonical
    form; anything else only by its length, never its text (it may hold terminal escapes)."""
    try:
        return f"a UUID written another way, {uuid.UUID(value)}"
    except ValueError:
        return f"{len(value)} characters, not shown"
