"""caplog at DEBUG over error paths against the emulator: no secret or patient field leaks."""

from __future__ import annotations

import logging

import pytest

from galatea_async import AsyncGalatea, FileStatus, PdfMetadata, PdfReportType
from galatea_async.emulator import Emulator
from galatea_async.errors import BadRequestError, GalateaError, OrderSubmissionUncertainError
from tests.conftest import make_transport

PATIENT = PdfMetadata(
    patient_name="Canary Q Patient",
    dob="1961-04-12",
    sex="Female",
    patient_id="canary-patient-7731",
    accession="canary-accession-55",
    address="17 Canary Street",
    provider_name="Dr Canary Provider",
    referring_facility="Canary Clinic",
)
PATIENT_VALUES = [v for v in PATIENT.to_payload().values() if v != "Female"]


@pytest.mark.parametrize("fault", ["bad_request", "server_error", "expired_session"])
async def test_error_paths_leak_nothing(
    emulator: Emulator,
    emulator_url: str,
    transport_kind: str,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    status = FileStatus.NOT_VALID if fault == "bad_request" else FileStatus.VALID
    file_id = emulator.add_file("canary.txt", status=status)["id"]
    if fault == "server_error":
        emulator.faults.fail_next(1, 500, path="exec/orders", method="POST")
    async with AsyncGalatea(
        email=emulator.email,
        password=emulator.password,
        base_url=emulator_url,
        transport=make_transport(transport_kind),
    ) as client:
        me = await client.users.me()
        secrets = [emulator.password, emulator.api_key, emulator.webhooks_secret]
        assert client._credentials.tokens is not None
        secrets += [client._credentials.tokens.access, client._credentials.tokens.refresh or ""]
        if fault == "expired_session":
            emulator.faults.expire_tokens(refresh=True)
            emulator.faults.fail_next(1, 400, path="exec/orders", method="POST")
        with pytest.raises(GalateaError) as caught:
            await client.orders.submit(
                file_id,
                "prs clinical model",
                pdf_report_types=[PdfReportType.PRS_CLINICAL_CANCER],
                pdf_metadata=PATIENT,
            )
        rendered = [
            str(caught.value),
            repr(caught.value),
            repr(getattr(caught.value, "body", None)),
            repr(me),
            repr(client),
            caplog.text,
        ]
    expected = {
        "bad_request": BadRequestError,
        "server_error": OrderSubmissionUncertainError,
        "expired_session": BadRequestError,
    }[fault]
    assert isinstance(caught.value, expected)
    for text in rendered:
        for canary in [*PATIENT_VALUES, *secrets]:
            assert canary not in text, f"{canary!r} leaked"
