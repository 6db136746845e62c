"""Source files (upload, validation, filters, pages, alias, delete) and tags over the app."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from galatea_async.emulator import Emulator, _routes_data
from galatea_async.emulator._content import genotype_file

GENOTYPE = genotype_file("upload").read()


async def _upload(client: httpx.AsyncClient, name: str, data: bytes) -> httpx.Response:
    return await client.post("data/files/upload", files={"file": (name, data)})


async def test_upload_is_pending_then_valid_after_the_validation_time(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    response = await _upload(emulator_api, "genome.txt", GENOTYPE)
    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "PENDING"
    assert created["check_completed"] is False
    assert created["file_size_bytes"] == len(GENOTYPE)
    assert created["src_short_file_path"].startswith("web-upload/")
    emulator.clock.advance(60)
    listed = (await emulator_api.get("data/files", params={"file": created["id"]})).json()
    assert listed["count"] == 1
    assert listed["results"][0]["status"] == "VALID"
    assert listed["results"][0]["check_completed"] is True


async def test_upload_of_non_genotype_content_ends_not_valid_with_check_information(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    created = (await _upload(emulator_api, "notes.txt", b"shopping list\n")).json()
    emulator.clock.advance(60)
    found = (await emulator_api.get("data/files", params={"file": "notes.txt"})).json()
    assert found["results"][0]["id"] == created["id"]
    assert found["results"][0]["status"] == "NOT_VALID"
    assert found["results"][0]["check_information"]


async def test_uploads_of_50_mib_or_more_are_refused_with_an_sftp_hint(
    emulator_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _routes_data.MAX_UPLOAD_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(_routes_data, "MAX_UPLOAD_BYTES", 1000)
    response = await _upload(emulator_api, "big.txt", GENOTYPE[:1000])
    assert response.status_code == 400
    assert "SFTP" in response.json()["detail"]


async def test_upload_without_a_file_field_is_400(emulator_api: httpx.AsyncClient) -> None:
    response = await emulator_api.post("data/files/upload", data={"other": "x"})
    assert response.status_code == 400


async def test_file_pages_have_absolute_next_urls_keeping_other_params(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    for number in range(25):
        emulator.add_file(f"f{number}.txt")
    first = (
        await emulator_api.get("data/files", params={"page_size": 10, "only_acceptable": "true"})
    ).json()
    assert first["count"] == 25
    assert len(first["results"]) == 10
    assert first["previous"] is None
    parts = urlsplit(first["next"])
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", "/api/v1/data/files")
    assert parse_qs(parts.query) == {
        "page_size": ["10"],
        "only_acceptable": ["true"],
        "page": ["2"],
    }
    last = (await emulator_api.get(first["next"].replace("http://testserver/api/v1/", ""))).json()
    third = (await emulator_api.get(last["next"].replace("http://testserver/api/v1/", ""))).json()
    assert len(third["results"]) == 5
    assert third["next"] is None
    assert "page=2" in third["previous"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"page": "zero"}, 400),
        ({"page_size": "-1"}, 400),
        ({"min_date": "2025-13-01"}, 400),
        ({"max_date": "yesterday"}, 400),
        ({"page": "5"}, 404),
    ],
)
async def test_malformed_list_parameters_are_rejected(
    emulator_api: httpx.AsyncClient, params: dict[str, str], status: int
) -> None:
    response = await emulator_api.get("data/files", params=params)
    assert response.status_code == status
    assert "detail" in response.json()


async def test_page_size_is_capped_at_1000(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    emulator.add_file("a.txt")
    response = await emulator_api.get("data/files", params={"page_size": 5000})
    assert response.status_code == 200


async def test_date_and_acceptability_filters(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    today = emulator.clock.now().date().isoformat()
    emulator.add_file("good.txt")
    emulator.add_file("bad.txt", b"x", status="NOT_VALID")
    everything = (await emulator_api.get("data/files", params={"min_date": today})).json()
    acceptable = (await emulator_api.get("data/files", params={"only_acceptable": "true"})).json()
    before = (await emulator_api.get("data/files", params={"max_date": "2000-01-01"})).json()
    assert everything["count"] == 2
    assert [f["src_file_name"] for f in acceptable["results"]] == ["good.txt"]
    assert before["count"] == 0


async def test_sample_alias_update_and_delete(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    file_id = emulator.add_file("a.txt")["id"]
    updated = await emulator_api.put(f"data/files/{file_id}", json={"sample_alias": "S-1"})
    assert updated.json()["sample_alias"] == "S-1"
    assert (await emulator_api.delete(f"data/files/{file_id}")).status_code == 204
    assert (await emulator_api.get("data/files", params={"file": file_id})).json()["count"] == 0
    assert (await emulator_api.delete(f"data/files/{file_id}")).status_code == 404


async def test_tags_create_list_filter_get_rename_delete(emulator_api: httpx.AsyncClient) -> None:
    created = await emulator_api.post("exec/tags", json={"name": "Cohort A"})
    assert created.status_code == 201
    tag = created.json()
    assert set(tag) == {"id", "name", "org_id"}
    await emulator_api.post("exec/tags", json={"name": "Other"})
    found = (await emulator_api.get("exec/tags", params={"name": "cohort"})).json()
    assert [t["id"] for t in found["results"]] == [tag["id"]]
    renamed = await emulator_api.put(f"exec/tags/{tag['id']}", json={"name": "Cohort B"})
    assert renamed.json()["name"] == "Cohort B"
    assert (await emulator_api.get(f"exec/tags/{tag['id']}")).json()["name"] == "Cohort B"
    assert (await emulator_api.delete(f"exec/tags/{tag['id']}")).status_code == 200
    assert (await emulator_api.get(f"exec/tags/{tag['id']}")).status_code == 404


async def test_a_tag_with_an_empty_name_is_400(emulator_api: httpx.AsyncClient) -> None:
    assert (await emulator_api.post("exec/tags", json={"name": ""})).status_code == 400
