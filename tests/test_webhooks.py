from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async import webhooks
from galatea_async._enums import FileStatus, OrderStatus
from galatea_async.errors import InvalidSignatureError
from galatea_async.webhooks import (
    PRODUCTION_SENDER_HOST,
    SANDBOX_SENDER_HOST,
    WEBHOOK_SIGNATURE_HEADER,
    FileValidatedEvent,
    OrderStatusEvent,
    parse_event,
    sign,
    verify_signature,
)

SECRET = "e2Bib57PYkkTFCs7utEfSZd6yGZCmGYX"
HOST = PRODUCTION_SENDER_HOST
ORDER_BODY = json.dumps(
    {
        "order_id": "8f14e45f-ceea-467f-a9b8-1a2b3c4d5e6f",
        "new_status": "COMPLETED",
        "source_file_id": "c9f0f895-fb98-4b91-9b5f-1a2b3c4d5e6f",
        "source_file_name": "sample.txt.zip",
    }
).encode()
FILE_BODY = json.dumps(
    {
        "source_file_id": "c9f0f895-fb98-4b91-9b5f-1a2b3c4d5e6f",
        "new_status": "VALID",
        "source_file_name": "sample.txt.zip",
    }
).encode()


def vendor_signature(body: bytes, secret: str, host: str) -> str:
    """The vendor's documented recipe, from the API reference's FastAPI example."""
    data = host + body.decode("utf-8")
    digest = hmac.new(bytes(secret, "utf-8"), bytes(data, "utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# --- sign / verify_signature -------------------------------------------------------------


def test_sign_matches_the_vendor_recipe() -> None:
    assert sign(ORDER_BODY, secret=SECRET, sender_host=HOST) == vendor_signature(
        ORDER_BODY, SECRET, HOST
    )


def test_signed_body_verifies() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    assert verify_signature(ORDER_BODY, signature, secret=SECRET, sender_host=HOST)


def test_wrong_secret_fails() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    assert not verify_signature(ORDER_BODY, signature, secret="another-secret", sender_host=HOST)


def test_wrong_sender_host_fails() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=SANDBOX_SENDER_HOST)
    assert not verify_signature(ORDER_BODY, signature, secret=SECRET, sender_host=HOST)


def test_tampered_body_fails() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    tampered = ORDER_BODY.replace(b"COMPLETED", b"FAILED")
    assert not verify_signature(tampered, signature, secret=SECRET, sender_host=HOST)


def test_rotation_accepts_any_listed_secret() -> None:
    old = sign(ORDER_BODY, secret="old-secret-value", sender_host=HOST)
    new = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    secrets = [SECRET, "old-secret-value"]
    assert verify_signature(ORDER_BODY, old, secret=secrets, sender_host=HOST)
    assert verify_signature(ORDER_BODY, new, secret=tuple(secrets), sender_host=HOST)
    assert not verify_signature(ORDER_BODY, old, secret=[SECRET], sender_host=HOST)


def test_bytearray_and_memoryview_bodies_verify() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    assert verify_signature(bytearray(ORDER_BODY), signature, secret=SECRET, sender_host=HOST)
    assert verify_signature(memoryview(ORDER_BODY), signature, secret=SECRET, sender_host=HOST)


def test_surrounding_whitespace_in_the_header_is_tolerated() -> None:
    signature = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    assert verify_signature(ORDER_BODY, f" {signature} ", secret=SECRET, sender_host=HOST)


def valid_signature() -> str:
    return sign(ORDER_BODY, secret=SECRET, sender_host=HOST)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "not base64 at all!",
        "é" * 44,
        base64.b64encode(b"x" * 31).decode(),  # too short a digest
        base64.b64encode(b"x" * 33).decode(),  # too long a digest
        valid_signature().rstrip("="),  # missing padding
        valid_signature() + "==",  # extra padding
        valid_signature() + "AAAA",  # trailing garbage
        valid_signature()[:-2] + "=" + valid_signature()[-1],  # discontinuous padding
        valid_signature().replace("+", "-").replace("/", "_") + "-_",  # url-safe alphabet
        "sha256=" + valid_signature(),
        hashlib.sha256(ORDER_BODY).hexdigest(),
    ],
)
def test_malformed_or_missing_signature_is_false(signature: str | None) -> None:
    assert not verify_signature(ORDER_BODY, signature, secret=SECRET, sender_host=HOST)


def test_non_canonical_base64_is_refused() -> None:
    signature = valid_signature()
    # The last character before "=" carries 2 unused bits; flipping them decodes the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    index = alphabet.index(signature[-2])
    twin = signature[:-2] + alphabet[index ^ 1] + "="
    assert base64.b64decode(twin) == base64.b64decode(signature)
    assert not verify_signature(ORDER_BODY, twin, secret=SECRET, sender_host=HOST)


def test_str_body_is_a_type_error_naming_the_fix() -> None:
    with pytest.raises(TypeError, match=r"await request\.body\(\)"):
        verify_signature(ORDER_BODY.decode(), "x", secret=SECRET, sender_host=HOST)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "host", ["https://api.galatea.bio", "api.galatea.bio/", "api.galatea.bio/api/v1", "", " a "]
)
def test_url_as_sender_host_is_a_value_error_naming_the_fix(host: str) -> None:
    with pytest.raises(ValueError, match=r"api\.galatea\.bio.*api\.sandbox\.galatea\.bio"):
        verify_signature(ORDER_BODY, "x", secret=SECRET, sender_host=host)


@pytest.mark.parametrize("secret", ["", [], [""], [SECRET, ""]])
def test_empty_secret_is_a_value_error(secret: str | list[str]) -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_signature(ORDER_BODY, valid_signature(), secret=secret, sender_host=HOST)


@pytest.mark.parametrize("secret", [SECRET.encode(), [SECRET.encode()], 42])
def test_non_str_secret_is_a_type_error(secret: object) -> None:
    with pytest.raises(TypeError, match="secret"):
        verify_signature(ORDER_BODY, valid_signature(), secret=secret, sender_host=HOST)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(
    body=st.binary(max_size=512),
    secret=st.text(min_size=1, alphabet=st.characters(codec="utf-8")),
)
def test_any_signed_body_verifies_and_any_other_body_does_not(body: bytes, secret: str) -> None:
    signature = sign(body, secret=secret, sender_host=HOST)
    assert verify_signature(body, signature, secret=secret, sender_host=HOST)
    assert not verify_signature(body + b"\x00", signature, secret=secret, sender_host=HOST)


@settings(max_examples=200, deadline=None)
@given(signature=st.one_of(st.none(), st.text(max_size=100)))
def test_any_header_value_is_just_false(signature: str | None) -> None:
    assert not verify_signature(ORDER_BODY, signature, secret=SECRET, sender_host=HOST)


# --- parse_event -------------------------------------------------------------------------


def parse(body: bytes) -> FileValidatedEvent | OrderStatusEvent:
    return parse_event(
        body, sign(body, secret=SECRET, sender_host=HOST), secret=SECRET, sender_host=HOST
    )


def test_order_event_is_parsed() -> None:
    event = parse(ORDER_BODY)
    assert event == OrderStatusEvent(
        order_id="8f14e45f-ceea-467f-a9b8-1a2b3c4d5e6f",
        new_status=OrderStatus.COMPLETED,
        source_file_id="c9f0f895-fb98-4b91-9b5f-1a2b3c4d5e6f",
        source_file_name="sample.txt.zip",
    )
    assert event.is_final


@pytest.mark.parametrize(
    ("status", "member", "final"),
    [
        ("Completed", OrderStatus.COMPLETED, True),
        ("qc failed", OrderStatus.QC_FAILED, True),
        ("QC_FAILED", OrderStatus.QC_FAILED, True),
        ("REPORTS_FAILED", OrderStatus.REPORTS_FAILED, True),
        ("MODEL_COMPLETED", OrderStatus.MODEL_COMPLETED, False),
        ("Running", OrderStatus.RUNNING, False),
    ],
)
def test_order_status_spellings_load(status: str, member: OrderStatus, final: bool) -> None:
    payload = json.loads(ORDER_BODY) | {"new_status": status}
    event = parse(json.dumps(payload).encode())
    assert isinstance(event, OrderStatusEvent)
    assert event.new_status is member
    assert event.is_final is final


def test_unknown_order_status_still_loads() -> None:
    payload = json.loads(ORDER_BODY) | {"new_status": "Archived"}
    event = parse(json.dumps(payload).encode())
    assert isinstance(event, OrderStatusEvent)
    assert event.new_status.value == "Archived"
    assert not event.is_final


def test_file_event_is_parsed_with_extra_fields_kept() -> None:
    payload = json.loads(FILE_BODY) | {"check_information": "ok", "new_status": "not_valid"}
    event = parse(json.dumps(payload).encode())
    assert isinstance(event, FileValidatedEvent)
    assert event.new_status is FileStatus.NOT_VALID
    assert event.source_file_name == "sample.txt.zip"
    assert event.extra == {"check_information": "ok"}


def test_events_are_frozen() -> None:
    event = parse(FILE_BODY)
    with pytest.raises(AttributeError):
        event.source_file_id = "x"  # type: ignore[misc]


def test_missing_signature_raises_naming_the_header() -> None:
    with pytest.raises(
        InvalidSignatureError, match=f"{WEBHOOK_SIGNATURE_HEADER} header is missing"
    ):
        parse_event(ORDER_BODY, None, secret=SECRET, sender_host=HOST)


def test_wrong_signature_message_leaks_neither_secret_nor_signature() -> None:
    expected = sign(ORDER_BODY, secret=SECRET, sender_host=HOST)
    wrong = sign(ORDER_BODY, secret="a-different-secret", sender_host=HOST)
    with pytest.raises(InvalidSignatureError) as caught:
        parse_event(ORDER_BODY, wrong, secret=SECRET, sender_host=HOST)
    text = str(caught.value) + repr(caught.value)
    assert WEBHOOK_SIGNATURE_HEADER in text
    for leak in (SECRET, expected, wrong, "a-different-secret"):
        assert leak not in text


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not an object"),
        (b"null", "not an object"),
        (b"{}", "neither"),
        (b'{"new_status": "VALID"}', "neither"),
        (b'{"order_id": "o", "new_status": "Completed"}', "source_file_id, source_file_name"),
        (b'{"source_file_id": "f", "new_status": 3, "source_file_name": "n"}', "new_status"),
    ],
)
def test_body_of_no_known_kind_is_a_value_error(body: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse(body)


def test_module_docstring_warns_about_replay() -> None:
    assert webhooks.__doc__ is not None
    assert "replay" in webhooks.__doc__
    assert "client.orders.get(event.order_id)" in webhooks.__doc__


def test_deeply_nested_json_is_a_value_error_not_a_recursion_error() -> None:
    body = b'{"order_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    signature = sign(body, secret=SECRET, sender_host=HOST)
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_event(body, signature, secret=SECRET, sender_host=HOST)
