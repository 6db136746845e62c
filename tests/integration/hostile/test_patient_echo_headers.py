"""Patient values the server echoes in response headers stay out of every log line.

httpcore's DEBUG log prints response headers whole. The values a call sends (a submit's
``pdf_metadata``) are known to the log filter while that call runs, as they are to its errors.
"""

from __future__ import annotations

import logging

import pytest

from galatea_async import PdfMetadata
from galatea_async.errors import BadRequestError
from tests.integration.hostile.checks import PATIENT, assert_no_canary, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, new_id, order, page
from tests.integration.hostile.server import HostileServer

NAME, DOB = PATIENT["patient_name"], PATIENT["dob"]


async def _submit(connect: Connect) -> object:
    return await connect().orders.submit(
        new_id(),
        "prs clinical model",
        pdf_report_types=["PRS_CLINICAL_CANCER"],
        pdf_metadata=PdfMetadata(**PATIENT),
    )


@pytest.mark.parametrize("status", [201, 400])
async def test_a_patient_name_echoed_in_a_response_header_is_not_logged(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"X-Patient-Echo": f"received {NAME}, born {DOB}"}
    body = order() if status == 201 else {"detail": "refused"}
    server.on("GET", "exec/orders", answer(page([])))
    server.on("POST", "exec/orders", answer(body, status=status, headers=echo))
    if status == 201:
        await _submit(connect)
    else:
        with pytest.raises(BadRequestError) as caught:
            await _submit(connect)
        assert_no_canary(*rendered(caught.value), repr(dict(caught.value.headers)))
    assert server.count("POST", "exec/orders") == 1
    assert_no_canary(caplog.text)


async def test_a_patient_name_in_the_request_id_is_neither_on_the_error_nor_logged(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.on("GET", "exec/orders", answer(page([])))
    server.on(
        "POST",
        "exec/orders",
        answer({"detail": "refused"}, status=400, headers={"X-Request-ID": f"rid-{NAME}"}),
    )
    with pytest.raises(BadRequestError) as caught:
        await _submit(connect)
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("rid-")
    assert_no_canary(caught.value.request_id, *rendered(caught.value), caplog.text)
