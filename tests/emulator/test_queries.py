"""Requests read into typed values (emulator/_queries.py): the form checked, nothing looked up."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.datastructures import QueryParams

from galatea_async.emulator._http import ApiProblem
from galatea_async.emulator._queries import (
    FileQuery,
    OrderQuery,
    file_query,
    order_query,
    order_submission,
)


def test_a_files_listing_reads_its_filters() -> None:
    params = QueryParams("file=a.txt&min_date=2025-01-02&show_virtual=yes&only_acceptable=0")
    assert file_query(params) == FileQuery(
        name_or_id="a.txt", min_date=date(2025, 1, 2), show_virtual=True
    )


def test_tag_ids_come_comma_separated_or_repeated_under_either_name() -> None:
    params = QueryParams("tag_ids=a,b&tags_ids=c&tags_ids=%20&status=Running")
    assert order_query(params) == OrderQuery(status="Running", tag_ids=("a", "b", "c"))


def test_a_status_group_becomes_its_statuses() -> None:
    members = order_query(QueryParams("status_group=FAILED")).group_statuses
    assert members is not None and "QC failed" in members


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("min_date=2025-13-01", "min_date: date has wrong format, use YYYY-MM-DD"),
        ("max_date=yesterday", "max_date: date has wrong format, use YYYY-MM-DD"),
        ("status_group=bogus", "status_group: unknown value 'bogus'"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(query: str, detail: str) -> None:
    with pytest.raises(ApiProblem) as raised:
        order_query(QueryParams(query))
    assert (raised.value.status_code, raised.value.detail) == (400, detail)


def test_a_submission_keeps_the_metadata_as_sent_and_parsed() -> None:
    submission = order_submission(
        {
            "source_file_id": "f1",
            "model_name": "prs ruo model",
            "tags_ids": ["t1"],
            "pdf_report_types": "PRS_RUO_CARDIO, PRS_RUO_CANCER",
            "pdf_metadata": {"sex": "Female", "dob": "1980-05-17"},
        }
    )
    assert submission.pdf_report_types == ("PRS_RUO_CARDIO", "PRS_RUO_CANCER")
    assert submission.pdf_metadata == {"sex": "Female", "dob": "1980-05-17"}
    assert submission.pdf_metadata_echo == '{"sex": "Female", "dob": "1980-05-17"}'
    assert submission.tag_ids == ("t1",)


@pytest.mark.parametrize(
    ("metadata", "detail"),
    [
        ("{not json", "pdf_metadata: not valid JSON"),
        ([1, 2], "pdf_metadata: expected a JSON object"),
        ({"dob": "17/05/1980"}, "pdf_metadata.dob: date has wrong format, use YYYY-MM-DD"),
    ],
)
def test_malformed_metadata_is_a_400_naming_it(metadata: object, detail: str) -> None:
    with pytest.raises(ApiProblem, match=detail):
        order_submission({"source_file_id": "f1", "pdf_metadata": metadata})


def test_values_of_the_wrong_type_are_left_for_the_store_to_refuse() -> None:
    submission = order_submission({"source_file_id": 7, "model_name": 3, "tags_ids": [5]})
    assert (submission.source_file_id, submission.model_name) == (None, "3")
    assert submission.tag_ids == ("5",)
