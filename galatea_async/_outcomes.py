"""How a batch item's outcome (a download's, an upload's) shows the error that stopped it."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["error_dict", "error_repr", "result_or_raise"]

T = TypeVar("T")


def error_repr(error: BaseException | None) -> str:
    """The error's type and message for a repr."""
    # Only the type and the message: our errors' messages are redacted, and the message is
    # what a user needs; a traceback or the request's headers never belong in a repr.
    return "None" if error is None else f"{type(error).__name__}({str(error)!r})"


def error_dict(error: BaseException | None) -> dict[str, str] | None:
    """JSON-ready ``{"type", "message"}``, or ``None`` without an error."""
    return None if error is None else {"type": type(error).__name__, "message": str(error)}


def result_or_raise(value: T | None, error: BaseException | None, what: str) -> T:
    """``value``; raises ``error`` instead if the item failed."""
    if error is not None:
        raise error
    if value is None:  # pragma: no cover - an outcome always has one or the other
        raise RuntimeError(f"this outcome has neither a {what} nor an error")
    return value
