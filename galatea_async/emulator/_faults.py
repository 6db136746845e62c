"""Fault injection: rules as plain data, a pure matcher, and the knobs tests turn.

Every knob is a method of :class:`FaultInjector` and can also be set over HTTP by
``POST /_emulator/faults`` with a JSON object naming the method and its arguments, e.g.
``{"fail_next": {"count": 2, "status": 503, "retry_after": "1"}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

__all__ = ["FaultInjector", "FaultRule", "take_rule"]


@attrs.define
class FaultRule:
    """One armed fault: what to do to the next ``remaining`` matching requests."""

    kind: str
    remaining: int = 1
    path: str | None = None  # matches when it occurs anywhere in the request path
    method: str | None = None
    status: int = 503
    retry_after: str | None = None
    after_handling: bool = False  # let the request take effect, then misbehave
    seconds: float = 0.0
    drop_after: int = 0
    location: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a ``method`` request for ``path``."""
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path in path


def take_rule(rules: list[FaultRule], method: str, path: str) -> FaultRule | None:
    """The first armed rule matching the request, used up by one (exhausted rules removed)."""
    for rule in rules:
        if rule.matches(method, path):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


class FaultInjector:
    """The emulator's misbehaviour switches. Times here are real seconds, not emulated ones."""

    def __init__(self, expire_tokens: Callable[[bool], None] | None = None) -> None:
        self._expire_tokens = expire_tokens
        self.latency_seconds = 0.0
        self.bandwidth_bytes_per_second: float | None = None
        self.page_origin: str | None = None
        self.ignore_ranges = False
        self.rules: list[FaultRule] = []

    def reset(self) -> None:
        """Disarm every fault."""
        self.latency_seconds = 0.0
        self.bandwidth_bytes_per_second = None
        self.page_origin = None
        self.ignore_ranges = False
        self.rules.clear()

    def latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before handling it (0 turns it off)."""
        self.latency_seconds = max(float(seconds), 0.0)

    def bandwidth(self, bytes_per_second: float | None) -> None:
        """Cap every response body at ``bytes_per_second`` (None turns it off)."""
        if bytes_per_second is not None and bytes_per_second <= 0:
            raise ValueError("bytes_per_second must be positive or None")
        self.bandwidth_bytes_per_second = bytes_per_second

    def drip(self, bytes_per_second: float) -> None:
        """A trickle of a body: the same as a small :meth:`bandwidth`."""
        self.bandwidth(bytes_per_second)

    def _arm(self, rule: FaultRule) -> FaultRule:
        if rule.remaining < 1:
            raise ValueError("count must be at least 1")
        self.rules.append(rule)
        return rule

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        retry_after: str | float | None = None,
        path: str | None = None,
        method: str | None = None,
        after_handling: bool = False,
    ) -> FaultRule:
        """Answer the next ``count`` matching requests with ``status`` (and ``Retry-After``).

        With ``after_handling`` the request takes effect first (an order is created, say)
        and the answer is then replaced by the error.
        """
        shown = None if retry_after is None else str(retry_after)
        return self._arm(
            FaultRule("fail", count, path, method, status, shown, after_handling=after_handling)
        )

    def drop_after(
        self, byte_count: int, *, count: int = 1, path: str | None = None, method: str | None = None
    ) -> FaultRule:
        """Cut the next ``count`` matching response bodies after ``byte_count`` bytes.

        The headers promise the full length; the connection is then closed abruptly, so the
        client sees a broken body, not a clean short one.
        """
        return self._arm(FaultRule("drop", count, path, method, drop_after=max(byte_count, 0)))

    def stall(
        self,
        seconds: float,
        *,
        count: int = 1,
        path: str | None = None,
        method: str | None = None,
        after_handling: bool = True,
    ) -> FaultRule:
        """Delay the answer to the next ``count`` matching requests by ``seconds``.

        With ``after_handling`` (the default) the request takes effect before the delay, as
        when a submit is received but its answer never arrives in time.
        """
        return self._arm(
            FaultRule("stall", count, path, method, seconds=seconds, after_handling=after_handling)
        )

    def redirect_next(
        self,
        location: str,
        *,
        status: int = 302,
        count: int = 1,
        path: str | None = None,
        method: str | None = None,
    ) -> FaultRule:
        """Answer the next matching requests with a redirect to ``location``."""
        return self._arm(FaultRule("redirect", count, path, method, status, location=location))

    def html_next(
        self, count: int = 1, *, path: str | None = None, method: str | None = None
    ) -> FaultRule:
        """Answer the next matching requests with an HTML page and status 200."""
        return self._arm(FaultRule("html", count, path, method, 200))

    def truncate_json_next(
        self, count: int = 1, *, path: str | None = None, method: str | None = None
    ) -> FaultRule:
        """Handle the next matching requests but send only half of their JSON body."""
        return self._arm(FaultRule("truncate_json", count, path, method, after_handling=True))

    def next_page_origin(self, origin: str | None) -> None:
        """Build pages' ``next``/``previous`` URLs on ``origin`` (None: the request's own)."""
        self.page_origin = origin.rstrip("/") if origin else None

    def disable_ranges(self, disabled: bool = True) -> None:
        """Ignore ``Range`` headers and stop advertising ``Accept-Ranges``."""
        self.ignore_ranges = disabled

    def expire_tokens(self, *, refresh: bool = False) -> None:
        """Expire every access token now (and every refresh token with ``refresh``)."""
        if self._expire_tokens is not None:
            self._expire_tokens(refresh)

    def take(self, method: str, path: str) -> FaultRule | None:
        """The armed rule for this request, if any (used up)."""
        return take_rule(self.rules, method, path)

    def snapshot(self) -> dict[str, Any]:
        """The armed faults, as ``GET /_emulator/faults`` shows them."""
        return {
            "latency": self.latency_seconds,
            "bandwidth": self.bandwidth_bytes_per_second,
            "next_page_origin": self.page_origin,
            "ignore_ranges": self.ignore_ranges,
            "rules": [attrs.asdict(rule) for rule in self.rules],
        }

    def apply(self, settings: dict[str, Any]) -> None:
        """Turn knobs from a JSON object: ``{"method name": arguments, ...}``.

        Arguments are an object of keyword arguments, a list of positional ones, or a single
        value. ``reset`` is applied first. Unknown names raise ``ValueError``.
        """
        order: Sequence[str] = sorted(settings, key=lambda name: name != "reset")
        for name in order:
            if name not in _KNOBS:
                raise ValueError(f"unknown fault knob {name!r}; known: {', '.join(_KNOBS)}")
            arguments = settings[name]
            method = getattr(self, name)
            if name in ("reset",) and arguments in (True, None, {}):
                method()
            elif name == "expire_tokens" and isinstance(arguments, bool):
                if arguments:
                    method()
            elif name == "disable_ranges" and isinstance(arguments, bool):
                method(arguments)
            elif isinstance(arguments, dict):
                method(**arguments)
            elif isinstance(arguments, list):
                method(*arguments)
            else:
                method(arguments)


_KNOBS = (
    "reset",
    "latency",
    "bandwidth",
    "drip",
    "fail_next",
    "drop_after",
    "stall",
    "redirect_next",
    "html_next",
    "truncate_json_next",
    "next_page_origin",
    "disable_ranges",
    "expire_tokens",
)
