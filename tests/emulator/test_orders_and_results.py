"""Orders (submit rules, life cycle, filters, cancel, PATCH) and their results over the app."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import httpx
import pytest

from galatea_async.emulator import Emulator

PRS_METADATA = {"sex": "female", "dob": "1980-01-30", "patient_name": "P"}


async def _submit(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("exec/orders", json=body)


async def _order(client: httpx.AsyncClient, order_id: str) -> dict[str, object]:
    page = (await client.get("exec/orders", params={"filter": order_id})).json()
    assert page["count"] == 1
    return dict(page["results"][0])


async def test_submit_answers_a_list_and_echoes_pdf_metadata_as_a_string(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    tag_id = emulator.add_tag("t")
    response = await _submit(
        emulator_api,
        source_file_id=file_id,
        model_name="prs clinical model",
        tags_ids=[tag_id],
        pdf_report_types=["PRS_CLINICAL_CARDIO", "PRS_CLINICAL_CANCER"],
        pdf_metadata=PRS_METADATA,
    )
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body, list)
    order = body[0]
    assert order["status"] == "Registered"
    assert order["src_file_id"] == file_id
    assert order["tags"] == [{"id": tag_id, "name": "t"}]
    assert json.loads(order["pdf_metadata"]) == PRS_METADATA


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model_name": "no such model"}, "model_name"),
        ({"model_name": "prs ruo model", "pdf_report_types": ["PRS_RUO_CANCER"]}, "sex"),
        (
            {
                "model_name": "prs ruo model",
                "pdf_report_types": ["PRS_RUO_CANCER"],
                "pdf_metadata": {"sex": "unknown"},
            },
            "sex",
        ),
        ({"model_name": "ancestry pdf model"}, "patient_name"),
        (
            {
                "model_name": "prs ruo model",
                "pdf_report_types": ["PRS_RUO_CARDIO"],
                "pdf_metadata": '{"dob": "30-01-1980"}',
            },
            "dob",
        ),
        (
            {"model_name": "prs ruo model", "pdf_report_types": ["PRS_CLINICAL_CARDIO"]},
            "pdf_report_types",
        ),
        ({"model_name": "ancestry data model one", "tags_ids": ["nope"]}, "tags_ids"),
    ],
)
async def test_submit_rules_answer_400_with_a_detail(
    emulator: Emulator, emulator_api: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    response = await _submit(emulator_api, source_file_id=file_id, **body)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


async def test_cancer_report_accepts_sex_in_any_case(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    response = await _submit(
        emulator_api,
        source_file_id=file_id,
        model_name="prs ruo model",
        pdf_report_types=["PRS_RUO_CANCER"],
        pdf_metadata='{"sex": "MALE"}',
    )
    assert response.status_code == 201


async def test_orders_on_files_that_are_not_valid_are_refused(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    pending = emulator.add_file("p.txt", status=None)["id"]
    invalid = emulator.add_file("n.txt", b"x", status="NOT_VALID")["id"]
    for file_id in (pending, invalid):
        response = await _submit(
            emulator_api, source_file_id=file_id, model_name="ancestry data model one"
        )
        assert response.status_code == 400


async def test_an_order_moves_through_its_life_cycle_on_the_clock(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("g.txt")["id"]
    order = (
        await _submit(
            emulator_api,
            source_file_id=file_id,
            model_name="ancestry pdf model",
            pdf_metadata={"patient_name": "P"},
        )
    ).json()[0]
    seen = []
    for _ in range(5):
        seen.append((await _order(emulator_api, order["id"]))["status"])
        emulator.clock.advance(10)
    assert seen == ["Registered", "Submitted", "Running", "Making report", "Completed"]
    final = await _order(emulator_api, order["id"])
    types = [entry["type"] for entry in final["result_types"]]  # type: ignore[union-attr]
    assert types == [
        "SUMMARY_CHROMS",
        "SUMMARY_SUPERSET",
        "DETAILED_CHROMS",
        "DETAILED_SUPERSET",
        "PDF_REPORT",
        "PDF_REPORT",
    ]
    assert final["execution_time"] == 40.0


async def test_an_order_on_a_fail_named_file_fails_with_exec_errors(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("will-fail.txt")["id"]
    order = (
        await _submit(emulator_api, source_file_id=file_id, model_name="ancestry data model two")
    ).json()[0]
    emulator.clock.advance(30)
    assert (await _order(emulator_api, order["id"]))["status"] == "Failed"
    errors = await emulator_api.get(
        f"data/results/{order['id']}/download", params={"result_type": "EXEC_ERRORS"}
    )
    assert errors.status_code == 200
    assert b"ERROR" in errors.content
    summary = await emulator_api.get(
        f"data/results/{order['id']}/download", params={"result_type": "SUMMARY_CHROMS"}
    )
    assert summary.status_code == 404


async def test_cancel_only_from_registered_or_submitted(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    waiting = emulator.add_order(status="Submitted")
    running = emulator.add_order(status="Running")
    accepted = await emulator_api.post("exec/cancel", json={"order_id": waiting})
    assert accepted.json() == {"details": f"Request to cancel execution id {waiting} accepted"}
    assert (await _order(emulator_api, waiting))["status"] == "Canceled"
    refused = await emulator_api.post("exec/cancel", json={"order_id": running})
    assert refused.status_code == 400


async def test_patch_sets_tags_and_answers_result_types_as_strings(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order(model="prs ruo model", pdf_report_types=["PRS_RUO_CARDIO"])
    tag_id = emulator.add_tag("x")
    patched = (
        await emulator_api.patch(f"exec/orders/{order_id}", json={"tags_ids": [tag_id]})
    ).json()
    assert patched["tags"] == [{"id": tag_id, "name": "x"}]
    assert all(isinstance(t, str) for t in patched["result_types"])
    assert "PDF_REPORT" in patched["result_types"]


async def test_order_filters(emulator: Emulator, emulator_api: httpx.AsyncClient) -> None:
    first, second = emulator.add_tag("a"), emulator.add_tag("b")
    file_id = emulator.add_file("target.txt")["id"]
    both = emulator.add_order(file_id, tags=[first, second])
    emulator.clock.advance(1)
    only_first = emulator.add_order(tags=[first], status="Running")
    emulator.add_order(status="Failed")

    async def ids(**params: str) -> list[str]:
        page = (await emulator_api.get("exec/orders", params=params)).json()
        return [o["id"] for o in page["results"]]

    assert await ids(tag_ids=first) == [only_first, both]
    assert await ids(tags_ids=f"{first},{second}") == [both]
    assert await ids(status_group="running") == [only_first]
    assert await ids(status="completed") == [both]
    assert await ids(filter="target.txt") == [both]
    assert await ids(filter=file_id) == [both]
    assert len(await ids(status_group="failed")) == 1
    assert (await emulator_api.get("exec/orders", params={"status_group": "x"})).status_code == 400


async def test_results_of_an_unfinished_order_are_400(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order(status="Running")
    response = await emulator_api.get(
        f"data/results/{order_id}/download", params={"result_type": "SUMMARY_CHROMS"}
    )
    assert response.status_code == 400


async def test_pdf_reports_list_and_download_match_size_and_checksum(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order(
        model="prs clinical model",
        pdf_report_types=["PRS_CLINICAL_CARDIO", "PRS_RUO_CARDIO"],
        report_size=150_000,
    )
    page = (
        await emulator_api.get(f"data/results/{order_id}/pdf_report", params={"page_size": 1000})
    ).json()
    assert page["count"] == 2
    for report in page["results"]:
        response = await emulator_api.get(
            f"data/results/{order_id}/download",
            params={"result_type": "PDF_REPORT", "pdf_request_id": report["id"]},
        )
        assert response.content.startswith(b"%PDF-")
        assert len(response.content) == report["file_size_bytes"] == 150_000
        assert hashlib.md5(response.content).hexdigest() == report["check_sum"]
        assert f'filename="{report["pdf_file_name"]}"' in response.headers["content-disposition"]
    archive = await emulator_api.get(
        f"data/results/{order_id}/download", params={"result_type": "PDF_REPORT"}
    )
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == sorted(r["pdf_file_name"] for r in page["results"])
    one = page["results"][0]
    filtered = (
        await emulator_api.get(
            f"data/results/{order_id}/pdf_report",
            params={"sample_id": one["sample_id"], "request_version": 1},
        )
    ).json()
    assert filtered["count"] == 2
    assert (
        await emulator_api.get(f"data/results/{order_id}/pdf_report", params={"request_version": 2})
    ).json()["count"] == 0


async def test_result_json_and_samples(emulator: Emulator, emulator_api: httpx.AsyncClient) -> None:
    order_id = emulator.add_order()
    one = (
        await emulator_api.get(
            f"data/results/{order_id}/json", params={"result_type": "SUMMARY_SUPERSET"}
        )
    ).json()
    assert one["result_type"] == "SUMMARY_SUPERSET"
    every = (await emulator_api.get(f"data/results/{order_id}/json")).json()
    assert set(every) == {
        "SUMMARY_CHROMS",
        "SUMMARY_SUPERSET",
        "DETAILED_CHROMS",
        "DETAILED_SUPERSET",
    }
    refused = await emulator_api.get(
        f"data/results/{order_id}/json", params={"result_type": "PDF_REPORT"}
    )
    assert refused.status_code == 400
    samples = (await emulator_api.get(f"data/results/{order_id}/samples")).json()
    assert samples[0]["order_id"] == order_id


async def test_unknown_result_type_and_unknown_order_are_404(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    order_id = emulator.add_order()
    missing_type = await emulator_api.get(
        f"data/results/{order_id}/download", params={"result_type": "PRS_IMAGES"}
    )
    missing_order = await emulator_api.get(
        "data/results/nope/download", params={"result_type": "SUMMARY_CHROMS"}
    )
    assert (missing_type.status_code, missing_order.status_code) == (404, 404)
