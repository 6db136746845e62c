"""What the SDK logs, and the filter that keeps secrets out of httpx's and httpcore's logs.

The SDK logs under ``galatea_async`` at DEBUG: one line per attempt (method, path template,
status or error class, seconds, attempt number); never bodies, query strings or headers. The
line is formatted only when DEBUG is enabled for that logger.

httpcore's DEBUG log prints response headers (a server that echoes a token shows it there) and
httpx's INFO log prints whole URLs, query strings included (file names in ``filter=``). The
client installs ``SecretsLogFilter`` once on those loggers: a record's message is redacted of
every secret the redactor knows (API keys, passwords, tokens, webhook secrets) and of anything
shaped like a bearer token, JWT or ``key=value`` secret, before any handler sees it; and, while
a call that sends patient values runs (``values_being_sent``), of those values too (a server
may echo them in a header, which httpcore prints). Query
strings are not secrets and stay in httpx's INFO lines: turn that logger down to WARNING where
file names must not be logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

from galatea_async._http._redact import redact_text

__all__ = [
    "FILTERED_LOGGERS",
    "SecretsLogFilter",
    "install_log_filter",
    "logger",
    "values_being_sent",
]

logger = logging.getLogger("galatea_async")

# A logger's filters see only the records logged on it, not those its children propagate, so
# each of httpcore's module loggers gets the filter too.
FILTERED_LOGGERS = (
    "galatea_async",  # its own lines carry server text too (a failed answer's request id)
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


# The values calls in flight are sending, counted (two calls may send the same name). Process
# wide: a log record does not say which call it belongs to, so while a value is being sent it
# is hidden from every record.
_lock = threading.Lock()
_being_sent: dict[str, int] = {}


def values_being_sent(values: Iterable[str]) -> AbstractContextManager[None]:
    """Within the block, the log filter also hides ``values`` (one call's patient fields)."""
    held = tuple(values)
    return _ValuesBeingSent(held) if held else _NOTHING_SENT


# Almost every call sends no patient field: one shared null context serves them all.
_NOTHING_SENT: AbstractContextManager[None] = nullcontext()


class _ValuesBeingSent:
    __slots__ = ("_held",)

    def __init__(self, held: tuple[str, ...]) -> None:
        self._held = held

    def __enter__(self) -> None:
        with _lock:
            for value in self._held:
                _being_sent[value] = _being_sent.get(value, 0) + 1

    def __exit__(self, *exc_info: object) -> None:
        with _lock:
            for value in self._held:
                count = _being_sent.pop(value) - 1
                if count:
                    _being_sent[value] = count


class SecretsLogFilter(logging.Filter):
    """Rewrites a record's message with every known secret replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it be
            return True
        with _lock:
            sent = tuple(_being_sent)
        redacted = redact_text(message, sent)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_filter() -> None:
    """Put one ``SecretsLogFilter`` on httpx's and httpcore's loggers (again: no change)."""
    names = set(FILTERED_LOGGERS)
    names.update(
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("httpx.", "httpcore."))
    )
    for name in sorted(names):
        target = logging.getLogger(name)
        if not any(isinstance(existing, SecretsLogFilter) for existing in target.filters):
            target.addFilter(SecretsLogFilter())
