"""The redactor: a request's own sensitive values, DRF error shapes, any depth, and the
filter on httpx's and httpcore's loggers."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import respx

from galatea_async import AsyncGalatea, PdfMetadata
from galatea_async._http._logging import FILTERED_LOGGERS, SecretsLogFilter, install_log_filter
from galatea_async._http._redact import REDACTED, field_values, redact_text, redact_value
from galatea_async._http._responses import decode_json
from galatea_async.errors import APIError, BadRequestError, InvalidResponseError
from tests import payloads
from tests.conftest import BASE_URL

NAME, DOB, PATIENT_ID, ACCESSION = "Johanna Quill", "1961-04-12", "MRN-55120", "ACC-7781"
SEX = "Female"
VALUES = [NAME, DOB, PATIENT_ID, ACCESSION]

# The shapes a DRF server gives a 400 that echoes what it was sent.
DRF_SHAPES: list[Any] = [
    {"pdf_metadata": {"patient_name": [f"'{NAME}' is not a valid name."]}},
    {"pdf_metadata": [f"patient_name: {NAME}", f"dob: {DOB} is in the future"]},
    {"detail": {"metadata": {"name": NAME, "ids": [PATIENT_ID, ACCESSION]}}},
    [f"Order for {NAME} ({PATIENT_ID}) already exists", {"accession": ACCESSION}],
    {"non_field_errors": [f"Patient {NAME.upper()} born {DOB} has an order ({ACCESSION})."]},
    {"detail": f"patient_name: {NAME}, sex: {SEX}, patient_id: {PATIENT_ID}"},
    f"patient_name: {NAME}\ndob: {DOB}\naccession: {ACCESSION}",
]


def leaks(text: str) -> list[str]:
    return [value for value in VALUES if value.lower() in text.lower()]


@pytest.mark.parametrize("shape", DRF_SHAPES)
async def test_a_submit_error_never_shows_the_patient_values_it_was_sent(
    router: respx.Router, shape: Any
) -> None:
    router.get("/exec/orders").respond(json=payloads.page([]))
    router.post("/exec/orders").respond(400, json=shape)
    async with AsyncGalatea(
        api_key="k" * 20, base_url=BASE_URL, transport=httpx.MockTransport(router.async_handler)
    ) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.orders.submit(
                payloads.FILE_ID,
                "ancestry data model one",
                pdf_metadata=PdfMetadata(
                    patient_name=NAME, dob=DOB, patient_id=PATIENT_ID, accession=ACCESSION, sex=SEX
                ),
            )
    error = caught.value
    for text in (str(error), repr(error), repr(error.body), json.dumps(error.body), *error.args):
        assert leaks(text) == [], text
    assert "[REDACTED]" in str(error)


def test_a_requests_values_are_redacted_in_any_case_and_short_ones_only_as_words() -> None:
    text = "Patient JOHANNA QUILL, sex F, id MRN-55120; Fe fi fo"
    redacted = redact_text(text, ["Johanna Quill", "F", "MRN-55120", "Fe"])
    assert redacted == f"Patient {REDACTED}, sex F, id {REDACTED}; {REDACTED} fi fo"


def test_key_value_text_loses_the_whole_value_up_to_the_separator() -> None:
    assert redact_text("patient_name: John Smith, dob=1980-01-01; ok") == (
        f"patient_name: {REDACTED}, dob={REDACTED}; ok"
    )


def test_field_values_takes_every_scalar_of_a_structure() -> None:
    assert sorted(field_values({"a": ["x", {"b": 5}], "c": None, "d": True})) == ["5", "x"]


def test_error_details_are_built_from_the_redacted_body() -> None:
    error = APIError(
        "x",
        body={"detail": {"pdf_metadata": {"patient_name": ["Jo Quill"]}, "code": "invalid"}},
    )
    assert "Jo Quill" not in repr(error.body)


# -- any depth ---------------------------------------------------------------------

DEPTH = 100_000


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


def test_redact_value_never_reaches_the_recursion_limit() -> None:
    redacted = redact_value(nested(DEPTH))
    depth = 0
    while isinstance(redacted, (dict, list)):
        redacted = redacted["k"] if isinstance(redacted, dict) else redacted[0]
        depth += 1
    assert depth == 64 and redacted == REDACTED


def test_deep_json_is_an_invalid_response() -> None:
    body = b"[" * DEPTH + b"]" * DEPTH
    with pytest.raises(InvalidResponseError, match="nested too deeply"):
        decode_json(body, status_code=200, content_type="application/json", method="GET", path="/x")


async def test_a_deep_error_body_gives_the_status_error(router: respx.Router) -> None:
    router.get("/users/me").respond(400, content=b'{"a":' * DEPTH + b"1" + b"}" * DEPTH)
    async with AsyncGalatea(
        api_key="k" * 20, base_url=BASE_URL, transport=httpx.MockTransport(router.async_handler)
    ) as client:
        with pytest.raises(BadRequestError):
            await client.users.me()


# -- httpx's and httpcore's logs ------------------------------------------------


def test_the_log_filter_is_installed_once_on_every_httpx_and_httpcore_logger() -> None:
    install_log_filter()
    install_log_filter()
    AsyncGalatea(api_key="k" * 20)
    for name in FILTERED_LOGGERS:
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, SecretsLogFilter)]
        assert len(filters) == 1, name


async def test_an_echoed_key_never_reaches_httpcores_debug_log(
    caplog: pytest.LogCaptureFixture, emulator: Any, emulator_url: str
) -> None:
    from tests.transports import make_transport

    caplog.set_level(logging.DEBUG)
    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport("httpx")
    ) as client:
        await client.users.me()
        # What httpcore logs: the request line and headers as it sends them.
        logging.getLogger("httpcore.http11").debug(
            "send_request_headers.started request=%r",
            [(b"Authorization", f"Bearer {emulator.api_key}".encode())],
        )
    assert "httpcore" in caplog.text
    assert emulator.api_key not in caplog.text


def test_prose_about_credentials_is_not_taken_for_one() -> None:
    advice = (
        "they would be sent as Basic auth and shown wherever the URL is): pass api_key= "
        "(or email= and password=) and give base_url as scheme://host[:port]"
    )
    assert redact_text(advice) == advice
    assert redact_text("a bearer token here. Basic auth.") == "a bearer token here. Basic auth."
    # Anything shaped like a credential still goes, lowercase tokens with punctuation included.
    assert "93kd02" not in redact_text("Bearer canary-access-token-93kd02")
    assert "YTpi" not in redact_text("Authorization: basic YTpi")
    assert "hunter2" not in redact_text("password=hunter2")
