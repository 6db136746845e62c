"""Server values that become paths (pure): an id becomes a folder's or a file's name only when
it is a canonical UUID (``is_canonical_id``): no separator, no dot, nothing a terminal would act
on. (An order's folder is then used only when it is a real folder inside ``dest``:
``_order_folders.py``.)
"""

from __future__ import annotations

import uuid

__all__ = ["describe_id", "is_canonical_id"]


def is_canonical_id(value: object) -> bool:
    """Whether ``value`` is a UUID in its canonical text (36 lower-case characters)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def describe_id(value: str) -> str:
    """How a message shows an id a listing sent: a UUID spelled another way as its canonical
    form; anything else only by its length, never its text (it may hold terminal escapes)."""
    try:
        return f"a UUID written another way, {uuid.UUID(value)}"
    except ValueError:
        return f"{len(value)} characters, not shown"
