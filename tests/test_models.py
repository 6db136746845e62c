"""Models load liberally from the API's JSON (and its inconsistencies) and stay immutable."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest

from galatea_async import FileStatus, Order, OrderStatus, PdfReport, ResultType, SourceFile, User
from galatea_async._converter import structure, unstructure
from galatea_async._converter_scalars import parse_datetime
from tests import payloads


def test_unknown_fields_are_kept_in_extra() -> None:
    order = structure(payloads.order(brand_new_field={"x": 1}), Order)
    assert order.extra == {"brand_new_field": {"x": 1}}


def test_unknown_enum_values_load_and_round_trip() -> None:
    order = structure(payloads.order(status="Quantum entangled", result_types=["HOLOGRAM"]), Order)
    assert order.status is not None and order.status.value == "Quantum entangled"
    assert not order.is_final
    assert order.result_types[0].value == "HOLOGRAM"
    assert unstructure(order)["status"] == "Quantum entangled"


@pytest.mark.parametrize(
    "status", ["Completed", "Failed", "Canceled", "Reports failed", "QC failed"]
)
def test_final_statuses(status: str) -> None:
    assert structure(payloads.order(status=status), Order).is_final


@pytest.mark.parametrize("status", ["Registered", "Running", "Making report", "Canceling"])
def test_non_final_statuses(status: str) -> None:
    assert not structure(payloads.order(status=status), Order).is_final


def test_result_types_load_from_both_shapes() -> None:
    listing = structure(payloads.order(), Order)
    patched = structure(payloads.order(result_types=["SUMMARY_SUPERSET", "PDF_REPORT"]), Order)
    assert (
        listing.result_types
        == patched.result_types
        == [ResultType.SUMMARY_SUPERSET, ResultType.PDF_REPORT]
    )


def test_pdf_metadata_loads_from_json_string_or_object() -> None:
    as_string = structure(payloads.order(pdf_metadata=json.dumps({"patient_name": "P"})), Order)
    as_object = structure(payloads.order(pdf_metadata={"patient_name": "P"}), Order)
    assert as_string.pdf_metadata == as_object.pdf_metadata
    assert as_string.pdf_metadata is not None and as_string.pdf_metadata.patient_name == "P"


def test_timestamps_are_aware() -> None:
    assert parse_datetime("2025-07-14T09:06:26.1Z").tzinfo is not None
    assert parse_datetime("2025-07-14T09:06:26") == dt.datetime(
        2025, 7, 14, 9, 6, 26, tzinfo=dt.timezone.utc
    )
    assert parse_datetime("2025-07-14T09:06:26.146529123+02:00").utcoffset() == dt.timedelta(
        hours=2
    )


def test_nulls_for_lists_load_as_empty() -> None:
    order = structure(payloads.order(tags=None, result_types=None), Order)
    assert order.tags == [] and order.result_types == []


def test_models_are_frozen_and_slotted() -> None:
    source_file = structure(payloads.source_file(), SourceFile)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        source_file.status = FileStatus.NOT_VALID  # type: ignore[misc]
    assert not hasattr(source_file, "__dict__")


def test_status_lookup_is_case_insensitive() -> None:
    assert OrderStatus("COMPLETED") is OrderStatus.COMPLETED


def test_user_and_report_load_reference_examples() -> None:
    user = structure(payloads.user(), User)
    assert user.org is not None and user.org.report_prs_clinical_cancer_enabled is True
    report = structure(payloads.pdf_report(), PdfReport)
    assert report.file_size_bytes == 11
