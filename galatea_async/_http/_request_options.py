"""The request path's settings for one client (or one ``with_options`` view): ``RequestOptions``,
their defaults, and the error of a call that outlives the deadline they set."""

from __future__ import annotations

import attrs
import httpx

from galatea_async._http._retry import RetryPolicy
from galatea_async.errors import APITimeoutError

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "RequestOptions", "deadline_error"]

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
DEFAULT_DEADLINE = 300.0


@attrs.frozen
class RequestOptions:
    """Per-client (or per ``with_options``) settings of the request path."""

    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()
    # Seconds a whole API call may take, retries and waits included; None for no limit.
    deadline: float | None = DEFAULT_DEADLINE
    # Extra headers for every request to the API (``with_options(headers=...)``), names in
    # lower case, already checked (``_headers.check_extra_headers``).
    headers: tuple[tuple[str, str], ...] = ()


def deadline_error(method: str, path: str, deadline: float) -> APITimeoutError:
    """The error of ``method path`` when no complete answer came within ``deadline`` s."""
    return APITimeoutError(
        f"{method} {path}: no complete answer within the {deadline:g} s deadline "
        "(set it with AsyncGalatea(deadline=...) or client.with_options(deadline=...))"
    )
