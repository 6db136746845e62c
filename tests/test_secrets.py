"""No token, password, API key, webhook secret or patient field in any repr, str or log."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import respx

import galatea_async.errors as errors_module
from galatea_async import AsyncGalatea, Order, PdfMetadata, PdfReport, SourceFile, Tag, Tokens, User
from galatea_async._converter import structure
from galatea_async._http._redact import redact_text
from tests import payloads

API_KEY = "canary-api-key-7f3a9c1e5b"
PASSWORD = "canary-password-Zx81!"
ACCESS = "canary-access-token-93kd02"
REFRESH = "canary-refresh-token-aa71f"
PATIENT = {
    "patient_name": "Canary Patientname",
    "dob": "1961-04-12",
    "sex": "Female",
    "patient_id": "canary-patient-id-881",
    "accession": "canary-accession-42",
    "address": "17 Canary Street",
    "provider_name": "Dr Canary Provider",
}
CANARIES = [API_KEY, PASSWORD, ACCESS, REFRESH, payloads.WEBHOOK_SECRET, *PATIENT.values()]


def assert_clean(text: str, canaries: list[str] | None = None) -> None:
    for canary in canaries or CANARIES:
        assert canary not in text, f"{canary!r} leaked into {text!r}"


def echo_everything(request: httpx.Request, status: int) -> httpx.Response:
    body = {
        "detail": f"bad token {ACCESS} for {API_KEY} (password {PASSWORD}) refresh {REFRESH}; "
        f"password={PASSWORD} secret: {payloads.WEBHOOK_SECRET} Bearer {ACCESS}",
        "password": PASSWORD,
        "access": ACCESS,
        "webhooks_secret": payloads.WEBHOOK_SECRET,
        "pdf_metadata": PATIENT,
        "echo": json.dumps(PATIENT),
        "authorization": f"Bearer {API_KEY}",
    }
    return httpx.Response(status, json=body)


def test_models_never_show_secrets_or_patient_fields() -> None:
    user = structure(payloads.user(), User)
    tokens = Tokens(access=ACCESS, refresh=REFRESH, websocket_access=ACCESS)
    order = structure(payloads.order(pdf_metadata=json.dumps(PATIENT), api_key=API_KEY), Order)
    report = structure(payloads.pdf_report(sample_id=PATIENT["patient_id"]), PdfReport)
    metadata = PdfMetadata(**PATIENT)
    for obj in (
        user,
        user.org,
        tokens,
        order,
        report,
        metadata,
        structure(payloads.tag(), Tag),
        structure(payloads.source_file(password=PASSWORD), SourceFile),
    ):
        assert_clean(repr(obj))
        assert_clean(str(obj))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 406, 422, 429, 500, 503])
async def test_errors_built_from_echoing_responses_show_no_secret(
    router: respx.Router, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The API key, the webhook secret (known once users.me was read) and anything in
    key=value, JSON or bearer form are hidden; so are the client's tokens and password
    (see the session test below)."""
    caplog.set_level(logging.DEBUG)
    router.get("/users/me").respond(json=payloads.user())
    router.get("/exec/tags").mock(side_effect=lambda request: echo_everything(request, status))
    async with AsyncGalatea(
        api_key=API_KEY,
        base_url="https://api.galatea.test",
        max_retries=0,
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        assert_clean(repr(client))
        assert_clean(str(client))
        await client.users.me()
        with pytest.raises(errors_module.APIError) as caught:
            await client.tags.list().__anext__()
        exc = caught.value
        known = [API_KEY, payloads.WEBHOOK_SECRET]
        assert_clean(str(exc), known)
        assert_clean(repr(exc), known)
        assert_clean(repr(exc.body), known)
        assert "password=[REDACTED]" in str(exc)
        assert f"Bearer {ACCESS}" not in str(exc)
        # Structured bodies lose every secret and patient value, known or not.
        assert_clean(repr({k: v for k, v in exc.body.items() if k != "detail"}))
    assert_clean(caplog.text)


async def test_password_session_secrets_stay_hidden(
    router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    router.post("/users/auth").respond(
        json={"access": ACCESS, "refresh": REFRESH, "websocket_access": ACCESS}
    )
    router.get("/users/me").mock(side_effect=lambda request: echo_everything(request, 400))
    async with AsyncGalatea(
        email="lab@example.com",
        password=PASSWORD,
        base_url="https://api.galatea.test",
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        with pytest.raises(errors_module.BadRequestError) as caught:
            await client.users.me()
        session_secrets = [PASSWORD, ACCESS, REFRESH]
        assert_clean(str(caught.value), session_secrets)
        assert_clean(repr(caught.value), session_secrets)
        assert_clean(repr(client))
        assert_clean(repr(client._credentials))
    assert_clean(caplog.text)


def test_a_call_in_flight_does_not_show_its_body_or_headers() -> None:
    import httpx

    from galatea_async._http._attempts import Call

    call = Call(
        method="POST",
        url=httpx.URL("https://api.galatea.test/api/v1/users/auth"),
        log_path="/api/v1/users/auth",
        json={"email": "lab@example.com", "password": PASSWORD},
        headers={"Authorization": f"Bearer {ACCESS}"},
    )
    assert_clean(repr(call))


async def test_a_client_given_its_http_client_forgets_its_secrets_when_closed() -> None:
    key = "gx-only-this-client-4f7e2b9c1d"
    async with httpx.AsyncClient() as http:
        client = AsyncGalatea(api_key=key, http_client=http, base_url="http://127.0.0.1:9")
        view = client.with_options(max_retries=0)
        await view.aclose()  # a view closes nothing and keeps the secrets its client uses
        assert key not in redact_text(f"echo {key}")
        await client.aclose()
        assert redact_text(f"echo {key}") == f"echo {key}"
