"""OpenTelemetry spans against the emulator over TCP, on both transports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from galatea_async import AsyncGalatea, RetryPolicy
from galatea_async.emulator import Emulator
from galatea_async.errors import NotFoundError
from tests.request_support import Answer, ScriptedServer
from tests.transports import make_transport

NO_WAIT = RetryPolicy(max_retries=2, backoff_initial=0.0, backoff_max=0.0)


@pytest.fixture
async def traced_client(
    demo_emulator: Emulator, transport_kind: str
) -> AsyncIterator[tuple[AsyncGalatea, Emulator, str]]:
    async with (
        demo_emulator.serve() as base_url,
        AsyncGalatea(
            api_key=demo_emulator.api_key,
            base_url=base_url,
            transport=make_transport(transport_kind),
            retry_policy=NO_WAIT,
        ) as client,
    ):
        yield client, demo_emulator, base_url


def completed_order(emulator: Emulator) -> str:
    return next(
        order.id
        for order in emulator.state.orders.values()
        if emulator.state.order_status(order) == "Completed"
    )


def everything_shown(span: ReadableSpan) -> str:
    return " ".join([span.name, *(f"{k}={v}" for k, v in (span.attributes or {}).items())])


def assert_nothing_secret(span: ReadableSpan, *secrets: str) -> None:
    shown = everything_shown(span)
    assert "?" not in shown and "result_type=" not in shown and "filter=" not in shown
    for secret in secrets:
        assert secret not in shown


async def test_one_client_span_per_api_call(
    spans: InMemorySpanExporter, traced_client: tuple[AsyncGalatea, Emulator, str]
) -> None:
    client, emulator, base_url = traced_client
    order_id = completed_order(emulator)
    await client.results.samples(order_id)
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /api/v1/data/results/{order_id}/samples"
    assert span.kind is trace.SpanKind.CLIENT
    port = int(base_url.rsplit(":", 1)[1])
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.template": "/api/v1/data/results/{order_id}/samples",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.scheme": "http",
        "http.response.status_code": 200,
    }
    assert_nothing_secret(span, emulator.api_key, order_id)


async def test_retries_stay_inside_the_calls_span(
    spans: InMemorySpanExporter, traced_client: tuple[AsyncGalatea, Emulator, str]
) -> None:
    client, emulator, _ = traced_client
    emulator.faults.fail_next(2, 503, path="/exec/tags")
    async for _ in client.tags.list(name="pre-launch"):
        pass
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /api/v1/exec/tags"
    assert span.attributes is not None
    assert span.attributes["http.request.resend_count"] == 2
    assert span.attributes["http.response.status_code"] == 200
    assert "error.type" not in span.attributes
    assert_nothing_secret(span, emulator.api_key, "pre-launch")


async def test_a_failed_call_records_its_error_type(
    spans: InMemorySpanExporter, traced_client: tuple[AsyncGalatea, Emulator, str]
) -> None:
    client, emulator, _ = traced_client
    with pytest.raises(NotFoundError):
        await client.results.samples("00000000-0000-0000-0000-000000000000")
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "404"
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code is trace.StatusCode.ERROR
    assert not span.events  # no exception message recorded
    assert_nothing_secret(span, emulator.api_key)


async def test_a_download_span_covers_the_whole_download(
    spans: InMemorySpanExporter, traced_client: tuple[AsyncGalatea, Emulator, str]
) -> None:
    client, emulator, _ = traced_client
    order_id = completed_order(emulator)
    requester = client._requester
    template = "data/results/{order_id}/download"
    received = 0
    with requester.download_span(template) as span:
        async with requester.stream(
            "GET",
            template,
            path_params={"order_id": order_id},
            params={"result_type": "SUMMARY_CHROMS"},
            span=span,
        ) as response:
            async for chunk in response.iter_raw():
                received += len(chunk)
                span.add_bytes(len(chunk))
        # A resumption: another request of the same download, in the same span.
        async with requester.stream(
            "GET",
            template,
            path_params={"order_id": order_id},
            params={"result_type": "SUMMARY_CHROMS"},
            headers={"Range": "bytes=0-9"},
            span=span,
        ) as response:
            async for chunk in response.iter_raw():
                received += len(chunk)
                span.add_bytes(len(chunk))
    (finished,) = spans.get_finished_spans()
    assert finished.name == "GET /api/v1/data/results/{order_id}/download"
    assert finished.attributes is not None
    assert finished.attributes["http.response.body.size"] == received > 10
    assert finished.attributes["http.response.status_code"] == 206
    assert finished.attributes["http.request.resend_count"] == 1
    assert_nothing_secret(finished, emulator.api_key, order_id)


async def test_each_download_of_the_engine_is_one_span_with_its_bytes(
    spans: InMemorySpanExporter,
    traced_client: tuple[AsyncGalatea, Emulator, str],
    tmp_path: Any,
) -> None:
    client, emulator, _ = traced_client
    order_id = completed_order(emulator)
    # Cut the first answer after 1,000 bytes: the engine resumes it, in the same span.
    emulator.faults.drop_after(1000, path=f"/data/results/{order_id}/download")
    path = await client.results.download(order_id, "DETAILED_CHROMS", dest=tmp_path)
    outcomes = await client.results.download_many(
        [(order_id, "SUMMARY_CHROMS"), (order_id, "SUMMARY_SUPERSET")], tmp_path / "many"
    )
    downloads = [s for s in spans.get_finished_spans() if s.name.endswith("/download")]
    assert len(downloads) == 3
    first, *others = downloads
    assert first.attributes is not None
    assert first.attributes["http.response.body.size"] >= path.stat().st_size
    assert first.attributes["http.request.resend_count"] == 1  # the resumption
    assert first.attributes["http.response.status_code"] == 206
    sizes = sorted(o.size or 0 for o in outcomes)
    assert sorted(s.attributes["http.response.body.size"] for s in others if s.attributes) == sizes
    for span in downloads:
        assert_nothing_secret(span, emulator.api_key, order_id)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


async def test_the_trace_context_goes_to_the_api_only(
    spans: InMemorySpanExporter, server: ScriptedServer, transport_kind: str
) -> None:
    async with ScriptedServer() as other:
        away = other.on("/file", Answer(200, body=b"data"))
        download = "/api/v1/data/files/f/download"
        server.on(download, Answer(302, {"Location": away}))
        async with AsyncGalatea(
            api_key="trace-test-key-123456",
            base_url=server.base_url,
            transport=make_transport(transport_kind),
        ) as client:
            requester = client._requester
            with requester.download_span("data/files/{file_id}/download") as span:
                async with requester.stream(
                    "GET", "data/files/{file_id}/download", path_params={"file_id": "f"}, span=span
                ) as response:
                    assert b"".join([piece async for piece in response.iter_raw()]) == b"data"
        (first,) = server.seen(download)
        (redirected,) = other.seen("/file")
    (finished,) = spans.get_finished_spans()
    trace_id = format(finished.context.trace_id, "032x")
    assert trace_id in first.headers["traceparent"]
    assert "traceparent" not in redirected.headers
    assert finished.attributes is not None
    assert finished.attributes["http.request.resend_count"] == 1


def test_without_a_tracer_provider_nothing_is_imported_or_traced() -> None:
    code = (
        "import sys, galatea_async\n"
        "from galatea_async import AsyncGalatea\n"
        "client = AsyncGalatea(api_key='k' * 20)\n"
        "assert client._requester.tracing.tracer() is None\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_applications_tracer_provider_is_used(spans: Any) -> None:
    client = AsyncGalatea(api_key="k" * 20)
    assert client._requester.tracing.tracer() is not None
