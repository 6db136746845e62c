"""Bad input is refused before any request, with a message naming the fix."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from galatea_async import PdfMetadata, ResultType
from galatea_async._validation import (
    check_date,
    check_id,
    check_ids,
    check_limit,
    check_page_size,
    check_result_type,
    check_tag_name,
    pdf_metadata_payload,
    pdf_report_types_payload,
)


def test_ids_accept_str_and_uuid_and_canonicalise() -> None:
    value = uuid.uuid4()
    assert check_id(value, "order_id") == str(value)
    assert check_id(str(value).upper(), "order_id") == str(value)


@pytest.mark.parametrize("bad", ["", "123", "not-a-uuid", "../etc/passwd"])
def test_malformed_id_names_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match="order_id must be a UUID"):
        check_id(bad, "order_id")


def test_single_id_where_a_list_is_expected_is_refused() -> None:
    with pytest.raises(TypeError, match="list of ids"):
        check_ids(str(uuid.uuid4()), "tag_ids")  # type: ignore[arg-type]


def test_result_type_strings_must_be_known() -> None:
    assert check_result_type("summary_chroms") is ResultType.SUMMARY_CHROMS
    with pytest.raises(
        ValueError,
        match="not a known result type; use a ResultType member or one of: SUMMARY_CHROMS",
    ):
        check_result_type("SUMMARY")


@pytest.mark.parametrize("bad", ["2025-13-01", "01/02/2025", "2025-1-1", 20250101])
def test_dates_must_be_iso(bad: object) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        check_date(bad, "min_date")  # type: ignore[arg-type]


def test_dates_accept_date_objects() -> None:
    assert check_date(dt.date(2025, 2, 27), "min_date") == "2025-02-27"


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_tag_names_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        check_tag_name(bad)


@pytest.mark.parametrize("bad", [0, 1001, -1, True, "10"])
def test_page_size_bounds(bad: object) -> None:
    with pytest.raises(ValueError, match="page_size"):
        check_page_size(bad)  # type: ignore[arg-type]


def test_limit_must_be_non_negative() -> None:
    with pytest.raises(ValueError, match="limit"):
        check_limit(-1)


def test_cancer_reports_need_sex_male_or_female() -> None:
    with pytest.raises(ValueError, match=r"pdf_metadata\.sex"):
        pdf_metadata_payload(
            {"sex": "unknown"},
            model_name="prs clinical model",
            pdf_report_types=["PRS_CLINICAL_CANCER"],
        )
    payload = pdf_metadata_payload(
        PdfMetadata(sex="male"),
        model_name="prs clinical model",
        pdf_report_types=["PRS_RUO_CANCER"],
    )
    assert payload == {"sex": "male"}


def test_ancestry_pdf_model_needs_patient_name_and_message_hides_values() -> None:
    with pytest.raises(ValueError, match="patient_name") as caught:
        pdf_metadata_payload(
            {"dob": "2000-01-30"}, model_name="ancestry pdf model", pdf_report_types=[]
        )
    assert "2000-01-30" not in str(caught.value)


def test_pdf_dates_must_be_iso_and_the_value_is_not_echoed() -> None:
    with pytest.raises(ValueError, match=r"pdf_metadata\.dob") as caught:
        pdf_metadata_payload({"dob": "30/01/2000"}, model_name="prs ruo model", pdf_report_types=[])
    assert "30/01/2000" not in str(caught.value)


def test_unknown_pdf_report_type_is_refused() -> None:
    with pytest.raises(ValueError, match="PRS_RUO_CARDIO"):
        pdf_report_types_payload(["PRS_RUO_LUNG"])
