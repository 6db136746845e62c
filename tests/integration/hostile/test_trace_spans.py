"""What a hostile server can get into OpenTelemetry spans: nothing secret, no query string.

Spans leave the process (to a collector), so they are held to the rule of messages and logs:
never a token, a password, a patient field, or a query string (file names live there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from galatea_async import PdfMetadata
from galatea_async.errors import AuthenticationError, BadRequestError
from tests.integration.hostile.checks import (
    ACCESS_TOKEN,
    EMAIL,
    PASSWORD,
    PATIENT,
    REFRESH_TOKEN,
    assert_no_canary,
)
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, in_turn, new_id, page, redirect, serve_file
from tests.integration.hostile.server import HostileServer
from tests.integration.hostile.test_patient_echo import ECHOES


def everything_in(exporter: InMemorySpanExporter) -> list[str]:
    """Every span's name, attributes and events, as text."""
    finished = exporter.get_finished_spans()
    assert finished, "nothing was traced: the check would prove nothing"
    texts: list[str] = []
    for span in finished:
        texts.append(span.name)
        texts.append(json.dumps(dict(span.attributes or {}), default=str))
        for event in span.events:
            texts.append(event.name)
            texts.append(json.dumps(dict(event.attributes or {}), default=str))
    return texts


@pytest.mark.parametrize("shape", ["field-errors", "non-field-errors"])
async def test_patient_echo_reaches_no_span(
    server: HostileServer, connect: Connect, spans: InMemorySpanExporter, shape: str
) -> None:
    server.on("GET", "exec/orders", answer(page([])))
    server.on("POST", "exec/orders", answer(ECHOES[shape], status=400))
    with pytest.raises(BadRequestError):
        await connect().orders.submit(
            new_id(),
            "prs clinical model",
            pdf_report_types=["PRS_CLINICAL_CANCER"],
            pdf_metadata=PdfMetadata(**PATIENT),
        )
    assert_no_canary(everything_in(spans))


async def test_redirected_download_puts_no_query_string_in_a_span(
    server: HostileServer, elsewhere: HostileServer, connect: Connect, dest: Path,
    spans: InMemorySpanExporter,
) -> None:  # fmt: skip
    data = b"x" * 5_000
    secret_name = "Canary_Q_Patient_results.tsv"
    mirror = f"{elsewhere.api_url}mirror/{new_id()}?file={secret_name}&sig=abc123"
    server.on("GET", r"data/results/[^/]+/download", in_turn(redirect(mirror)))
    elsewhere.on("GET", r"mirror/.*", serve_file(data))
    await connect().results.download(new_id(), "SUMMARY_CHROMS", dest)
    texts = everything_in(spans)
    assert_no_canary(texts, canaries=[secret_name, "sig=abc123", "result_type=", "?"])


async def test_tokens_refused_for_ever_reach_no_span(
    server: HostileServer, connect: Connect, spans: InMemorySpanExporter
) -> None:
    tokens = {"access": ACCESS_TOKEN, "refresh": REFRESH_TOKEN}
    for route in ("users/auth", "users/refresh"):
        server.on("POST", route, answer(tokens))
    server.on("GET", "users/me", answer({"detail": f"token {ACCESS_TOKEN} revoked"}, status=401))
    with pytest.raises(AuthenticationError):
        await connect(email=EMAIL, password=PASSWORD).users.me()
    texts: list[Any] = everything_in(spans)
    assert_no_canary(texts, canaries=[ACCESS_TOKEN, REFRESH_TOKEN, PASSWORD, EMAIL])
