"""What the CLI may print, decided without I/O: hidden secrets and patient fields, escaped
control characters."""

from __future__ import annotations

import json

from galatea_async import Order
from galatea_async.cli._shown import (
    HIDDEN,
    Disclosure,
    PatientValue,
    json_text,
    printable,
    to_jsonable,
    without_url_credentials,
)
from tests import payloads

PATIENT = {"patient_name": "Ann Example", "dob": "1980-01-30", "sample_id": None}


def test_printable_escapes_c0_del_c1_and_bidirectional_overrides() -> None:
    assert printable("a\x1b[2Jb\x07c\x7fd\x9be\u202ef\tg\nh") == (
        "a\\x1b[2Jb\\x07c\\x7fd\\x9be\\u202ef\\x09g\\x0ah"
    )


def test_printable_leaves_ordinary_text_alone() -> None:
    text = "résumé_報告 [bold] 100% ✓"
    assert printable(text) == text


def test_json_text_escapes_every_control_character_and_keeps_the_values() -> None:
    value = {"name": "x\x1b]0;t\x07\x9b\u2066"}
    text = json_text(value, indent=2)
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in text)
    assert "\u2066" not in text
    assert json.loads(text) == value


def test_patient_fields_are_hidden_by_name_with_unset_ones_left_as_they_are() -> None:
    order = Order.from_dict(payloads.order(pdf_metadata=PATIENT))
    shown = to_jsonable(order)
    assert shown["pdf_metadata"]["patient_name"] == HIDDEN
    assert shown["pdf_metadata"]["dob"] == HIDDEN
    assert shown["pdf_metadata"]["sample_id"] is None
    assert shown["id"] == order.id


def test_show_patient_data_shows_them() -> None:
    order = Order.from_dict(payloads.order(pdf_metadata=PATIENT))
    shown = to_jsonable(order, Disclosure(patient_data=True))
    assert shown["pdf_metadata"]["patient_name"] == "Ann Example"


def test_patient_keys_are_hidden_at_any_depth_and_whatever_their_value() -> None:
    data = {"samples": [{"sample_id": "S-1", "scores": {"AFR": 0.1}}], "address": ["a", "b"]}
    assert to_jsonable(data) == {
        "samples": [{"sample_id": HIDDEN, "scores": {"AFR": 0.1}}],
        "address": [HIDDEN, HIDDEN],
    }


def test_a_value_marked_as_patient_data_is_hidden_unless_disclosed() -> None:
    assert to_jsonable(PatientValue("S-1")) == HIDDEN
    assert to_jsonable(PatientValue(None)) is None
    assert to_jsonable(PatientValue("S-1"), Disclosure(patient_data=True)) == "S-1"
    assert "S-1" not in repr(PatientValue("S-1"))


def test_secrets_are_hidden_unless_disclosed_and_patient_data_does_not_disclose_them() -> None:
    data = {"webhooks_secret": "whsec-0123456789", "api_key": ""}
    assert to_jsonable(data, Disclosure(patient_data=True)) == {
        "webhooks_secret": HIDDEN,
        "api_key": "",
    }
    assert to_jsonable(data, Disclosure(secrets=True))["webhooks_secret"] == "whsec-0123456789"


def test_url_credentials_are_replaced_wherever_a_url_appears() -> None:
    text = "proxy http://me:s3cret@proxy:3128 refused; also socks5://u@h:1 and https://api/x@y"
    assert without_url_credentials(text) == (
        "proxy http://[REDACTED]@proxy:3128 refused; also socks5://[REDACTED]@h:1 "
        "and https://api/x@y"
    )
