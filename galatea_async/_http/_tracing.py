"""OpenTelemetry spans for API calls and downloads, and nothing at all when nobody traces.

The SDK emits its own spans (the ``otel`` extra installs ``opentelemetry-api``; the SDK never
imports it itself, it uses it once the application has):
``opentelemetry-instrumentation-httpx`` patches only httpx's own transports, so it sees nothing
of the default aiohttp transport, and it would put whole URLs (query strings hold file names)
in its attributes. Without ``opentelemetry-api``, or until the application sets a tracer
provider, every call here is a no-op that costs one function call.

Spans follow the HTTP client semantic conventions, one CLIENT span per API call (its retries,
401 renewals and redirects inside it, counted by ``http.request.resend_count``) and one per
download (opened by the download engine around the whole download, resumes and parts
included). Attributes: ``http.request.method``, ``url.template`` (for example
``/api/v1/exec/orders/{order_id}``), ``server.address``, ``server.port``, ``url.scheme``,
``http.response.status_code``, ``error.type``; downloads add ``http.response.body.size``.
Never a token, a query string or a patient field: ids stay inside ``{placeholders}``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["NO_SPAN", "CallSpan", "Tracing", "untraced"]


def _opentelemetry_trace() -> Any:
    """``opentelemetry.trace`` if the application has imported it, else ``None``.

    Nobody can have set a tracer provider without importing it, so the SDK never imports
    OpenTelemetry itself (its import alone costs tens of milliseconds).
    """
    return sys.modules.get("opentelemetry.trace")


_INSTRUMENTATION_NAME = "galatea_async"


class CallSpan:
    """What the request path records on a span: status, resends, the error, bytes received.

    The base class records nothing (``NO_SPAN``): the request path calls it unconditionally.
    """

    __slots__ = ()

    def record_status(self, status_code: int) -> None:
        """The HTTP status of the latest response."""

    def record_send(self) -> None:
        """A request is being sent; every one after the first counts as a resend (a retry, a
        401 renewal, a redirect, or the resumption or part of a download)."""

    def record_error(self, error_type: str) -> None:
        """The call failed: ``error_type`` is the status code as text, or the error's class."""

    def add_bytes(self, count: int) -> None:
        """``count`` more body bytes received (downloads)."""

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add the trace context (``traceparent``) to ``headers`` of a request to the API."""


NO_SPAN = CallSpan()
# A nullcontext holds no state: one serves every untraced block, nested or concurrent.
_UNTRACED = contextlib.nullcontext(NO_SPAN)


def untraced() -> contextlib.AbstractContextManager[CallSpan]:
    """No span at all (``NO_SPAN``): for what nobody traces, at the cost of a null context."""
    return _UNTRACED


class _RecordingSpan(CallSpan):
    __slots__ = ("_bytes", "_sends", "_span")

    def __init__(self, span: Any) -> None:
        self._span = span
        self._sends = 0
        self._bytes = 0

    def record_status(self, status_code: int) -> None:
        self._span.set_attribute("http.response.status_code", status_code)

    def record_send(self) -> None:
        self._sends += 1
        if self._sends > 1:
            self._span.set_attribute("http.request.resend_count", self._sends - 1)

    def record_error(self, error_type: str) -> None:
        trace = _opentelemetry_trace()
        self._span.set_attribute("error.type", error_type)
        self._span.set_status(trace.Status(trace.StatusCode.ERROR, error_type))

    def add_bytes(self, count: int) -> None:
        self._bytes += count

    def inject(self, headers: MutableMapping[str, str]) -> None:
        from opentelemetry import propagate

        propagate.inject(headers)

    def finish(self) -> None:
        if self._bytes:
            self._span.set_attribute("http.response.body.size", self._bytes)


def error_type(exc: BaseException) -> str:
    """``error.type`` for an exception: an API error's status code, else its class name."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        return str(status)
    return type(exc).__qualname__


class Tracing:
    """Spans for one client, whose API lives at ``scheme://host:port`` under ``root_path``."""

    def __init__(self, *, scheme: str, host: str, port: int, root_path: str) -> None:
        self._base_attributes: dict[str, Any] = {
            "server.address": host,
            "server.port": port,
            "url.scheme": scheme,
        }
        self._root_path = "/" + root_path.strip("/") + "/" if root_path.strip("/") else "/"
        self._provider: Any = None
        self._tracer: Any = None

    def url_template(self, template: str) -> str:
        """The ``url.template`` of an API path template: ``/api/v1/exec/orders/{order_id}``."""
        return self._root_path + template.lstrip("/")

    def tracer(self) -> Any:
        """The OpenTelemetry tracer, or ``None`` while no tracer provider is set."""
        trace = _opentelemetry_trace()
        if trace is None:
            return None
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            return None  # the application has not set one up: nobody is listening
        if provider is not self._provider:
            from galatea_async._version import __version__

            self._tracer = provider.get_tracer(_INSTRUMENTATION_NAME, __version__)
            self._provider = provider
        return self._tracer

    def span(self, method: str, template: str) -> contextlib.AbstractContextManager[CallSpan]:
        """A CLIENT span around one API call or one whole download (``NO_SPAN`` if untraced).

        ``template`` is the API path template (``data/results/{order_id}/download``). The span
        ends with ``error.type`` set if the block raises.
        """
        tracer = self.tracer()
        if tracer is None:
            return _UNTRACED  # every call and download asks: no generator when nobody traces
        return self._recorded(tracer, method, template)

    @contextlib.contextmanager
    def _recorded(self, tracer: Any, method: str, template: str) -> Iterator[CallSpan]:
        url_template = self.url_template(template)
        attributes = {
            **self._base_attributes,
            "http.request.method": method,
            "url.template": url_template,
        }
        with tracer.start_as_current_span(
            f"{method} {url_template}",
            kind=_opentelemetry_trace().SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,  # an exception's message and traceback stay out of spans
            set_status_on_exception=False,
        ) as span:
            recording = _RecordingSpan(span)
            try:
                yield recording
            except BaseException as exc:
                recording.record_error(error_type(exc))
                raise
            finally:
                recording.finish()
