"""Every contract call against respx: method, path, query and body sent; response parsed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
import respx

from galatea_async import (
    AsyncGalatea,
    FileStatus,
    GenomeType,
    Order,
    OrderStatus,
    PdfMetadata,
    PdfReport,
    PdfReportType,
    ResultType,
    SourceFile,
    Tag,
    TransferOptions,
    User,
)
from galatea_async.errors import (
    FileValidationError,
    NotFoundError,
    OrderFailedError,
    WaitTimeoutError,
)
from tests import payloads
from tests.payloads import FILE_ID, ORDER_ID, ORG_ID, REPORT_ID, TAG_ID


def sent_json(route: respx.Route) -> object:
    return json.loads(route.calls.last.request.content)


def sent_params(route: respx.Route) -> dict[str, str]:
    return dict(route.calls.last.request.url.params)


async def test_users_me_parses_user_and_organization(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/users/me").respond(json=payloads.user())
    me = await client.users.me()
    assert isinstance(me, User)
    assert me.org is not None and me.org.id == ORG_ID
    assert me.org.available_models == ["ancestry data model one", "prs ruo model"]
    assert me.org.webhooks_secret == payloads.WEBHOOK_SECRET
    assert me.created_at is not None and me.created_at.tzinfo is not None
    assert (
        route.calls.last.request.headers["Authorization"] == "Bearer test-api-key-0123456789abcdef"
    )


async def test_organization_models_default_to_callers_org(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/users/me").respond(json=payloads.user())
    route = router.get(f"/organizations/{ORG_ID}/models").respond(
        json=[
            {"name": "prs ruo model", "deprecated": False, "pdf_report_types": ["PRS_RUO_CARDIO"]},
            "ancestry data model one",
        ]
    )
    models = await client.organizations.models()
    assert [m.name for m in models] == ["prs ruo model", "ancestry data model one"]
    assert models[0].pdf_report_types == [PdfReportType.PRS_RUO_CARDIO]
    assert sent_params(route) == {"hide_deprecated": "true"}


async def test_organization_models_with_explicit_org_and_deprecated(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get(f"/organizations/{ORG_ID}/models").respond(
        json={"results": [{"name": "old", "deprecated": True}]}
    )
    models = await client.organizations.models(uuid.UUID(ORG_ID), hide_deprecated=False)
    assert models[0].deprecated is True
    assert sent_params(route) == {"hide_deprecated": "false"}


async def test_files_list_sends_filters_and_walks_pages(
    client: AsyncGalatea, router: respx.Router
) -> None:
    second = str(uuid.uuid4())

    def respond(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        item = payloads.source_file() if page == "1" else payloads.source_file(second)
        return httpx.Response(
            200,
            json=payloads.page(
                [item], count=2, next_url="https://elsewhere.example/p2" if page == "1" else None
            ),
        )

    route = router.get("/data/files").mock(side_effect=respond)
    files = [
        f
        async for f in client.files.list(
            file="filename.txt.zip",
            min_date="2025-01-01",
            max_date="2025-12-31",
            only_acceptable=True,
            show_virtual=False,
            page_size=1,
        )
    ]
    assert [f.id for f in files] == [FILE_ID, second]
    assert all(isinstance(f, SourceFile) and f.status == FileStatus.VALID for f in files)
    first_params = dict(route.calls[0].request.url.params)
    assert first_params == {
        "file": "filename.txt.zip",
        "min_date": "2025-01-01",
        "max_date": "2025-12-31",
        "only_acceptable": "true",
        "show_virtual": "false",
        "page": "1",
        "page_size": "1",
    }
    # The cross-origin next link was never followed.
    assert all(call.request.url.host == "api.galatea.test" for call in route.calls)


async def test_files_get_finds_by_id_and_raises_not_found(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/data/files").respond(json=payloads.page([payloads.source_file()]))
    found = await client.files.get(FILE_ID)
    assert found.genome_type == GenomeType.GNT
    assert sent_params(route)["file"] == FILE_ID
    router.get("/data/files").respond(json=payloads.page([]))
    with pytest.raises(NotFoundError, match=str(uuid.UUID(int=1))):
        await client.files.get(uuid.UUID(int=1))


async def test_files_upload_sends_multipart_and_parses_pending_file(
    client: AsyncGalatea, router: respx.Router
) -> None:
    genotype = b"rsid\tchromosome\tposition\tgenotype\n"
    route = router.post("/data/files/upload").respond(
        json=payloads.source_file(status="PENDING", file_size_bytes=len(genotype))
    )
    uploaded = await client.files.upload(genotype, filename="sample.txt")
    assert uploaded.status == FileStatus.PENDING
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="sample.txt"' in request.content
    assert b"rsid\tchromosome" in request.content


async def test_files_delete_uses_delete(client: AsyncGalatea, router: respx.Router) -> None:
    route = router.delete(f"/data/files/{FILE_ID}").respond(204)
    assert await client.files.delete(FILE_ID) is None
    assert route.called


async def test_files_set_sample_alias_puts_alias(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.put(f"/data/files/{FILE_ID}").respond(
        json=payloads.source_file(sample_alias="S-1")
    )
    updated = await client.files.set_sample_alias(FILE_ID, "S-1")
    assert updated.sample_alias == "S-1"
    assert sent_json(route) == {"sample_alias": "S-1"}


async def test_files_wait_until_valid_polls_until_valid(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/data/files").mock(
        side_effect=[
            httpx.Response(200, json=payloads.page([payloads.source_file(status="PENDING")])),
            httpx.Response(200, json=payloads.page([payloads.source_file(status="VALID")])),
        ]
    )
    done = await client.files.wait_until_valid(FILE_ID, poll_interval=0.001)
    assert done.status == FileStatus.VALID
    assert route.call_count == 2


async def test_orders_list_sends_every_filter(client: AsyncGalatea, router: respx.Router) -> None:
    route = router.get("/exec/orders").respond(json=payloads.page([payloads.order()]))
    orders = [
        o
        async for o in client.orders.list(
            filter="filename.gvcf.gz",
            status=OrderStatus.COMPLETED,
            status_group="completed",
            tag_ids=[TAG_ID, uuid.UUID(FILE_ID)],
            min_date="2025-01-01",
            max_date="2025-02-01",
            limit=5,
            page_size=50,
        )
    ]
    assert len(orders) == 1
    order = orders[0]
    assert isinstance(order, Order) and order.is_final and order.status == OrderStatus.COMPLETED
    assert order.result_types == [ResultType.SUMMARY_SUPERSET, ResultType.PDF_REPORT]
    assert order.tags == [Tag(id=TAG_ID, name="test tag")]
    assert sent_params(route) == {
        "filter": "filename.gvcf.gz",
        "status": "Completed",
        "status_group": "completed",
        "tag_ids": f"{TAG_ID},{FILE_ID}",
        "min_date": "2025-01-01",
        "max_date": "2025-02-01",
        "page": "1",
        "page_size": "50",
    }


async def test_orders_get_looks_up_through_filter(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/exec/orders").respond(json=payloads.page([payloads.order()]))
    assert (await client.orders.get(ORDER_ID)).id == ORDER_ID
    assert sent_params(route)["filter"] == ORDER_ID


async def test_orders_submit_sends_payload_and_accepts_a_list(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/exec/orders").respond(json=payloads.page([]))
    created = payloads.order(
        status="Registered", pdf_metadata=json.dumps({"patient_name": "Jane Roe", "sex": "Female"})
    )
    route = router.post("/exec/orders").respond(json=[created])
    order = await client.orders.submit(
        FILE_ID,
        "prs clinical model",
        tag_ids=[TAG_ID],
        pdf_report_types=[PdfReportType.PRS_CLINICAL_CANCER, "prs_ruo_cardio"],
        pdf_metadata=PdfMetadata(patient_name="Jane Roe", sex="Female", dob="2000-01-30"),
    )
    assert order.status == OrderStatus.REGISTERED
    assert order.pdf_metadata is not None and order.pdf_metadata.patient_name == "Jane Roe"
    assert sent_json(route) == {
        "source_file_id": FILE_ID,
        "model_name": "prs clinical model",
        "tags_ids": [TAG_ID],
        "pdf_report_types": ["PRS_CLINICAL_CANCER", "PRS_RUO_CARDIO"],
        "pdf_metadata": {"patient_name": "Jane Roe", "sex": "Female", "dob": "2000-01-30"},
    }


async def test_orders_submit_accepts_a_bare_object(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/exec/orders").respond(json=payloads.page([]))
    router.post("/exec/orders").respond(json=payloads.order(status="Registered"))
    assert (await client.orders.submit(FILE_ID, "ancestry data model one")).id == ORDER_ID


async def test_orders_update_tags_accepts_string_result_types(
    client: AsyncGalatea, router: respx.Router
) -> None:
    body = payloads.order(result_types=["DETAILED_CHROMS", "SUMMARY_CHROMS"])
    route = router.patch(f"/exec/orders/{ORDER_ID}").respond(json=body)
    order = await client.orders.update_tags(ORDER_ID, [TAG_ID])
    assert order.result_types == [ResultType.DETAILED_CHROMS, ResultType.SUMMARY_CHROMS]
    assert sent_json(route) == {"tags_ids": [TAG_ID]}


async def test_orders_cancel_posts_order_id(client: AsyncGalatea, router: respx.Router) -> None:
    route = router.post("/exec/cancel").respond(
        json={"details": f"Request to cancel execution id {ORDER_ID} accepted"}
    )
    assert await client.orders.cancel(ORDER_ID) is None
    assert sent_json(route) == {"order_id": ORDER_ID}


async def test_orders_wait_returns_the_final_order(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/exec/orders").mock(
        side_effect=[
            httpx.Response(200, json=payloads.page([payloads.order(status="Running")])),
            httpx.Response(200, json=payloads.page([payloads.order(status="Making report")])),
            httpx.Response(200, json=payloads.page([payloads.order(status="Completed")])),
        ]
    )
    order = await client.orders.wait(ORDER_ID, poll_interval=0.001)
    assert order.status == OrderStatus.COMPLETED


async def test_tags_calls(client: AsyncGalatea, router: respx.Router) -> None:
    listing = router.get("/exec/tags").respond(
        json=payloads.page([payloads.tag(), payloads.tag(str(uuid.uuid4()), "Demo")])
    )
    tags = [t async for t in client.tags.list(name="SANDBOX")]
    assert [t.name for t in tags] == ["SANDBOX", "Demo"]
    assert sent_params(listing)["name"] == "SANDBOX"

    router.get(f"/exec/tags/{TAG_ID}").respond(json=payloads.tag())
    assert (await client.tags.get(TAG_ID)).org_id == ORG_ID

    created = router.post("/exec/tags").respond(json=payloads.tag(name="Demo Tag"))
    assert (await client.tags.create("  Demo Tag ")).name == "Demo Tag"
    assert sent_json(created) == {"name": "Demo Tag"}

    renamed = router.put(f"/exec/tags/{TAG_ID}").respond(json=payloads.tag(name="Renamed"))
    assert (await client.tags.rename(TAG_ID, "Renamed")).name == "Renamed"
    assert sent_json(renamed) == {"name": "Renamed"}

    deleted = router.delete(f"/exec/tags/{TAG_ID}").respond(200)
    assert await client.tags.delete(TAG_ID) is None
    assert deleted.called


async def test_results_json_and_samples(client: AsyncGalatea, router: respx.Router) -> None:
    route = router.get(f"/data/results/{ORDER_ID}/json").respond(json={"chromosomes": [1, 2]})
    assert await client.results.json(ORDER_ID, "summary_chroms") == {"chromosomes": [1, 2]}
    assert sent_params(route) == {"result_type": "SUMMARY_CHROMS"}
    router.get(f"/data/results/{ORDER_ID}/samples").respond(json=[{"sample_id": "s1"}])
    assert await client.results.samples(ORDER_ID) == [{"sample_id": "s1"}]


async def test_results_pdf_reports_filters_and_parses(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get(f"/data/results/{ORDER_ID}/pdf_report").respond(
        json=payloads.page([payloads.pdf_report()])
    )
    reports = [
        r
        async for r in client.results.pdf_reports(
            ORDER_ID, sample_id="s1", request_version=2, report_version="v"
        )
    ]
    assert (
        isinstance(reports[0], PdfReport) and reports[0].report_type == PdfReportType.PRS_RUO_CANCER
    )
    assert sent_params(route) == {
        "sample_id": "s1",
        "request_version": "2",
        "report_version": "v",
        "page": "1",
        "page_size": "1000",
    }


class _Body(httpx.AsyncByteStream):
    """A streamed (not pre-read) body, as a real server's response is."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self._body), 4096):
            yield self._body[start : start + 4096]


def _file_response(body: bytes, name: str) -> httpx.Response:
    return httpx.Response(
        200,
        stream=_Body(body),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(len(body)),
        },
    )


async def test_results_download_writes_the_named_file(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    route = router.get(f"/data/results/{ORDER_ID}/download").mock(
        side_effect=lambda r: _file_response(b"a\tb\n", "summary.tsv")
    )
    path = await client.results.download(ORDER_ID, ResultType.SUMMARY_CHROMS, dest=tmp_path)
    assert path == tmp_path / "summary.tsv" and path.read_bytes() == b"a\tb\n"
    assert sent_params(route) == {"result_type": "SUMMARY_CHROMS"}
    assert route.calls.last.request.headers["Accept-Encoding"] == "identity"


async def test_results_stream_yields_chunks_and_metadata(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get(f"/data/results/{ORDER_ID}/download").mock(
        side_effect=lambda r: _file_response(b"x" * 5000, "big.zip")
    )
    async with client.results.stream(ORDER_ID, "DETAILED_SUPERSET") as download:
        assert download.filename == "big.zip" and download.size == 5000
        body = b"".join([chunk async for chunk in download])
    assert body == b"x" * 5000


async def test_results_download_pdf_report_by_id_verifies_size_and_md5(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    router.get(f"/data/results/{ORDER_ID}/pdf_report").respond(
        json=payloads.page([payloads.pdf_report()])
    )
    route = router.get(f"/data/results/{ORDER_ID}/download").mock(
        side_effect=lambda r: _file_response(b"hello world", "r.pdf")
    )
    path = await client.results.download_pdf_report(ORDER_ID, REPORT_ID, dest=tmp_path)
    assert path.read_bytes() == b"hello world"
    assert sent_params(route) == {"result_type": "PDF_REPORT", "pdf_request_id": REPORT_ID}


async def test_files_download_verifies_listed_checksum(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    body = b"hello world"
    router.get("/data/files").respond(
        json=payloads.page(
            [payloads.source_file(file_size_bytes=11, check_sum="5eb63bbbe01eeed093cb22bb8f5acdc3")]
        )
    )
    router.get(f"/data/files/{FILE_ID}/download").mock(
        side_effect=lambda r: _file_response(body, "filename.txt.zip")
    )
    path = await client.files.download(FILE_ID, tmp_path)
    assert path.read_bytes() == body


async def test_download_many_returns_outcomes_in_order(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    other = str(uuid.uuid4())

    def respond(request: httpx.Request) -> httpx.Response:
        if other in request.url.path:
            return httpx.Response(404, json={"detail": "Not found."})
        return _file_response(b"data", f"{request.url.params['result_type']}.tsv")

    router.get(url__regex=r"/data/results/.*/download").mock(side_effect=respond)
    per_file: dict[str, int] = {}
    batch: list[tuple[int, int | None]] = []
    outcomes = await client.results.download_many(
        [
            (ORDER_ID, "SUMMARY_CHROMS"),
            (other, ResultType.SUMMARY_CHROMS),
            (ORDER_ID, "DETAILED_CHROMS"),
        ],
        tmp_path,
        progress=lambda done, total: batch.append((done, total)),
        file_progress=lambda request, done, total: per_file.__setitem__(
            request.result_type.value, done
        ),
    )
    assert per_file == {"SUMMARY_CHROMS": 4, "DETAILED_CHROMS": 4}
    assert batch[-1][0] == 8
    assert [o.path.name if o.path else None for o in outcomes] == [
        "SUMMARY_CHROMS.tsv",
        None,
        "DETAILED_CHROMS.tsv",
    ]
    assert isinstance(outcomes[1].error, NotFoundError)


async def test_download_works_with_responses_already_read_by_mock_transports(
    client: AsyncGalatea, router: respx.Router, tmp_path: Path
) -> None:
    """respx and httpx.MockTransport hand over bodies already read; users test with them."""
    router.get(f"/data/results/{ORDER_ID}/download").respond(
        content=b"a\tb\n", headers={"Content-Disposition": 'attachment; filename="s.tsv"'}
    )
    path = await client.results.download(ORDER_ID, ResultType.SUMMARY_CHROMS, dest=tmp_path)
    assert path.read_bytes() == b"a\tb\n"


async def test_files_wait_until_valid_raises_on_not_valid(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/data/files").respond(
        json=payloads.page(
            [payloads.source_file(status="NOT_VALID", check_information="row 3: bad genotype")]
        )
    )
    with pytest.raises(FileValidationError, match="row 3: bad genotype") as caught:
        await client.files.wait_until_valid(FILE_ID, poll_interval=0.001)
    assert caught.value.status == "NOT_VALID"


async def test_files_wait_until_valid_times_out(client: AsyncGalatea, router: respx.Router) -> None:
    router.get("/data/files").respond(json=payloads.page([payloads.source_file(status="PENDING")]))
    with pytest.raises(WaitTimeoutError, match=FILE_ID):
        await client.files.wait_until_valid(FILE_ID, timeout=0.05, poll_interval=0.01)


async def test_orders_wait_can_raise_on_a_failed_order(
    client: AsyncGalatea, router: respx.Router
) -> None:
    router.get("/exec/orders").respond(json=payloads.page([payloads.order(status="QC failed")]))
    assert (await client.orders.wait(ORDER_ID, poll_interval=0.001)).status == OrderStatus.QC_FAILED
    with pytest.raises(OrderFailedError, match="EXEC_ERRORS"):
        await client.orders.wait(ORDER_ID, poll_interval=0.001, raise_on_failure=True)


async def test_malformed_ids_fail_before_any_request(
    client: AsyncGalatea, router: respx.Router
) -> None:
    with pytest.raises(ValueError, match="order_id must be a UUID"):
        await client.orders.get("not-an-id")
    with pytest.raises(ValueError, match="tag_id must be a UUID"):
        await client.tags.delete("42")
    with pytest.raises(ValueError, match="result_type"):
        await client.results.download(ORDER_ID, "SUMMARY")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        client.orders.list(min_date="yesterday")
    assert not router.calls


async def test_transfer_options_reach_the_download_engine(
    router: respx.Router, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import galatea_async._download._files as files

    synced: list[int] = []
    monkeypatch.setattr(files.os, "fsync", synced.append)
    router.get(f"/data/results/{ORDER_ID}/download").mock(
        side_effect=lambda r: _file_response(b"a\tb\n", "s.tsv")
    )
    async with AsyncGalatea(
        api_key="k" * 20,
        base_url="https://api.galatea.test",
        transfer_options=TransferOptions(fsync=False),
        transport=httpx.MockTransport(router.async_handler),
    ) as client:
        await client.results.download(ORDER_ID, "SUMMARY_CHROMS", dest=tmp_path)
    assert synced == []
