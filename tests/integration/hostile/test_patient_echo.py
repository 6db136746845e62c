"""Patient fields echoed back by the server and values of the wrong type.

A submit sends ``pdf_metadata`` (name, date of birth, patient id...). Whatever shape the
server's error takes when it echoes them, and whatever a model fails to load, no patient value
may reach ``str``, ``repr``, ``.body``, the traceback or the log.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from galatea_async import PdfMetadata
from galatea_async.errors import (
    BadRequestError,
    InvalidResponseError,
    OrderSubmissionUncertainError,
)
from tests.integration.hostile.checks import PATIENT, assert_no_canary, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, me, new_id, order, page
from tests.integration.hostile.server import HostileServer

NAME, DOB, PID = PATIENT["patient_name"], PATIENT["dob"], PATIENT["patient_id"]
ADDRESS, ACCESSION = PATIENT["address"], PATIENT["accession"]

# The DRF-style shapes in which a 400 echoes what was sent.
ECHOES: dict[str, Any] = {
    "field-errors": {
        "pdf_metadata": {
            "patient_name": [f"Ensure {NAME} has at most 3 characters."],
            "dob": [f"Date {DOB} has the wrong format."],
        }
    },
    "list": [f"Invalid pdf_metadata for patient {NAME}, born {DOB}, id {PID}"],
    "nested-detail": {
        "detail": {"errors": [{"field": "patient_id", "value": PID, "message": f"who is {NAME}?"}]}
    },
    "key-value-text": {"detail": f"patient_name: {NAME}; dob: {DOB}; patient_id: {PID}"},
    "non-field-errors": {
        "non_field_errors": [f"Patient {NAME} ({DOB}) at {ADDRESS} has accession {ACCESSION}"]
    },
    "plain-text": f"Bad request: {NAME} {DOB} {PID}".encode(),
}


def serve_submit(server: HostileServer, status: int, body: Any) -> str:
    """A VALID file with no orders yet, and a POST exec/orders answering ``status``/``body``."""
    file_id = new_id()
    server.on("GET", "exec/orders", answer(page([])))
    server.on("POST", "exec/orders", answer(body, status=status))
    return file_id


async def submit_for_patient(connect: Connect, file_id: str) -> Any:
    return await connect().orders.submit(
        file_id,
        "prs clinical model",
        pdf_report_types=["PRS_CLINICAL_CANCER"],
        pdf_metadata=PdfMetadata(**PATIENT),
    )


@pytest.mark.parametrize("shape", ECHOES)
async def test_patient_values_echoed_in_a_400_stay_hidden(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture, shape: str
) -> None:
    file_id = serve_submit(server, 400, ECHOES[shape])
    with pytest.raises(BadRequestError) as caught:
        await submit_for_patient(connect, file_id)
    assert "400" in str(caught.value)
    assert server.count("POST", "exec/orders") == 1
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_patient_values_echoed_in_a_500_stay_hidden(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    file_id = serve_submit(server, 500, ECHOES["non-field-errors"])
    with pytest.raises(OrderSubmissionUncertainError) as caught:
        await submit_for_patient(connect, file_id)
    assert server.count("POST", "exec/orders") == 1
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_patient_values_in_a_malformed_submit_answer_stay_hidden(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    answered = order(started_at=NAME, pdf_metadata=json.dumps(PATIENT))
    file_id = serve_submit(server, 201, [answered])
    with pytest.raises(InvalidResponseError, match=r"Order\.started_at") as caught:
        await submit_for_patient(connect, file_id)
    assert_no_canary(rendered(caught.value), caplog.text)


# -- 10.10: a field of the wrong type names the model and field, never the value -----------------

WRONG_TYPES = [
    pytest.param(
        b'"amount_of_samples": "' + NAME.encode() + b'"',
        "Order.amount_of_samples",
        id="text-in-int",
    ),
    pytest.param(b'"amount_of_samples": Infinity', "Order.amount_of_samples", id="infinity-in-int"),
    pytest.param(b'"amount_of_samples": 1e400', "Order.amount_of_samples", id="overflow-in-int"),
    pytest.param(b'"started_at": 12', "Order.started_at", id="number-in-timestamp"),
    pytest.param(b'"tags": {"id": "' + PID.encode() + b'"}', "Order.tags", id="object-in-list"),
]


async def list_orders(connect: Connect) -> list[Any]:
    return [item async for item in connect().orders.list()]


@pytest.mark.parametrize(("field", "named"), WRONG_TYPES)
async def test_field_of_the_wrong_type_names_model_and_field(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture,
    field: bytes, named: str,
) -> None:  # fmt: skip
    good = json.dumps(order(patient_note=NAME))[1:-1].encode()
    # The wrong value comes last, so it is the one json.loads keeps.
    body = b'{"count": 1, "next": null, "results": [{' + good + b", " + field + b"}]}"
    server.on("GET", "exec/orders", answer(body, headers={"Content-Type": "application/json"}))
    with pytest.raises(InvalidResponseError, match=named.replace(".", r"\.")) as caught:
        await list_orders(connect)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_no_canary(rendered(caught.value), caplog.text)
    # Not even mangled (the timestamp parser turns "Canary Q" into "CanaryTQ").
    assert not any("canary" in text.lower() for text in rendered(caught.value))


async def test_organization_of_the_wrong_type_names_the_field(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", "users/me", answer(me(org=PATIENT["referring_facility"])))
    with pytest.raises(InvalidResponseError, match=r"User\.org") as caught:
        await connect().users.me()
    assert caught.value.__cause__ is None
    assert_no_canary(rendered(caught.value), caplog.text)
    assert not any("canary" in text.lower() for text in rendered(caught.value))
