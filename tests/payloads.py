"""JSON bodies shaped like the API reference's examples, for respx unit tests."""

from __future__ import annotations

from typing import Any

ORG_ID = "12332112-3321-2233-1122-123432345648"
FILE_ID = "9085d0d2-3333-1111-2222-4114602c2aa6"
ORDER_ID = "fc79a3e0-60db-452b-9fc4-506897b4f808"
TAG_ID = "11111111-b183-4217-9b89-222222222222"
REPORT_ID = "91e29ebd-e0b2-46bf-b060-8b1b9be42612"

WEBHOOK_SECRET = "e2Bib57PYkkTFCs7utEfSZd6yGZCmGYX"


def user() -> dict[str, Any]:
    return {
        "id": "11111111-1111-1111-1111-111111111111",
        "email": "user@example.com",
        "first_name": "First Name",
        "last_name": "Last Name",
        "role": "OrgUser",
        "is_active": True,
        "created_at": "2023-05-10T10:17:49.344128Z",
        "deleted_at": None,
        "updated_at": "2025-07-09T10:36:44.174576Z",
        "org": {
            "id": ORG_ID,
            "name": "Organization name",
            "domains": ["example.com"],
            "available_models": ["ancestry data model one", "prs ruo model"],
            "webhooks_enabled": True,
            "webhooks_secret": WEBHOOK_SECRET,
            "report_ancestry_enabled": True,
            "report_prs_ruo_cardio_enabled": True,
            "report_prs_ruo_cancer_enabled": True,
            "report_prs_clinical_cardio_enabled": True,
            "report_prs_clinical_cancer_enabled": True,
        },
    }


def source_file(file_id: str = FILE_ID, status: str = "VALID", **extra: Any) -> dict[str, Any]:
    return {
        "id": file_id,
        "status": status,
        "src_file_name": "filename.txt.zip",
        "src_short_file_path": "web-upload/2025-06-20-092716/filename.txt.zip",
        "file_size_bytes": 5795952,
        "created_at": "2025-06-20T09:27:17.344081Z",
        "check_sum": "feee6f11ade6b8b4ee28e12801211d07",
        "acceptable": True,
        "purged_from_storage": False,
        "orders_count": 0,
        "genome_type": "GNT",
        "amount_of_samples": 1,
        "deleted_at": None,
        "org_name": "Organization name",
        "check_completed": True,
        "sample_alias": None,
        "check_information": None,
        "virtual": False,
        **extra,
    }


def order(order_id: str = ORDER_ID, status: str = "Completed", **extra: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": status,
        "src_file_id": FILE_ID,
        "src_file_short_path": "somepath/filename.gvcf.gz",
        "src_file_name": "filename.gvcf.gz",
        "started_at": "2025-07-14T09:06:26.146529Z",
        "amount_of_samples": 1,
        "execution_time": 96.496678,
        "submitted_by": "user@example.com",
        "model": "prs ruo model",
        "type": "WGS",
        "org_name": "Organization name",
        "tags": [{"id": TAG_ID, "name": "test tag"}],
        "result_types": [
            {"type": "SUMMARY_SUPERSET", "label": "Summary superset"},
            {"type": "PDF_REPORT", "label": "PDF reports zip"},
            {"type": "PDF_REPORT", "label": "View PDF reports"},
        ],
        "can_request_pdf": True,
        "virtual": False,
        **extra,
    }


def tag(tag_id: str = TAG_ID, name: str = "SANDBOX") -> dict[str, Any]:
    return {"id": tag_id, "name": name, "org_id": ORG_ID}


def pdf_report(report_id: str = REPORT_ID, **extra: Any) -> dict[str, Any]:
    return {
        "id": report_id,
        "status": "COMPLETED",
        "sample_id": "sandbox-0-fb82245c-3708",
        "order_id": ORDER_ID,
        "result_id": "b27d241d-1022-4104-b99a-6f57fdfdf09c",
        "org_name": "Organization Name",
        "report_type": "PRS_RUO_CANCER",
        "request_type": "ORDER",
        "request_version": 1,
        "report_version": "",
        "pdf_file_name": f"{report_id}_sandbox-0-fb82245c-3708_prs-ruo-cancer.pdf",
        "file_size_bytes": 11,
        "check_sum": "5eb63bbbe01eeed093cb22bb8f5acdc3",
        "started_at": "2025-07-04T17:56:32.933564Z",
        "completed_at": "2025-07-04T17:56:46.138287Z",
        **extra,
    }


def page(
    results: list[dict[str, Any]], *, count: int | None = None, next_url: str | None = None
) -> dict[str, Any]:
    return {
        "count": len(results) if count is None else count,
        "next": next_url,
        "previous": None,
        "results": results,
    }
