"""Range planning (pure) and download headers, ranges and If-Range over the ASGI app."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from galatea_async.emulator import Emulator
from galatea_async.emulator._downloads import RangePlan, content_disposition, plan_range

ETAG = '"abc"'


@pytest.mark.parametrize(
    ("header", "if_range", "expected"),
    [
        (None, None, RangePlan(200, 0, 100)),
        ("bytes=10-19", None, RangePlan(206, 10, 20)),
        ("bytes=90-", None, RangePlan(206, 90, 100)),
        ("bytes=-5", None, RangePlan(206, 95, 100)),
        ("bytes=-500", None, RangePlan(206, 0, 100)),
        ("bytes=50-500", None, RangePlan(206, 50, 100)),
        ("bytes=100-", None, RangePlan(416)),
        ("bytes=-0", None, RangePlan(416)),
        ("bytes=20-10", None, RangePlan(200, 0, 100)),
        ("bytes=0-1,5-6", None, RangePlan(200, 0, 100)),
        ("items=0-5", None, RangePlan(200, 0, 100)),
        ("bytes=10-19", ETAG, RangePlan(206, 10, 20)),
        ("bytes=10-19", '"stale"', RangePlan(200, 0, 100)),
    ],
)
def test_plan_range(header: str | None, if_range: str | None, expected: RangePlan) -> None:
    assert plan_range(100, header, if_range, ETAG) == expected


def test_content_disposition_has_ascii_and_utf8_names() -> None:
    value = content_disposition('résumé "x".tsv')
    assert value.startswith('attachment; filename="r?sum? _x_.tsv"')
    assert value.endswith("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.tsv")


@pytest.fixture
def sized_order(emulator: Emulator) -> str:
    return emulator.add_order(result_sizes={"SUMMARY_CHROMS": 3 * 1024 * 1024 + 17})


def _url(order_id: str, result_type: str = "SUMMARY_CHROMS") -> str:
    return f"data/results/{order_id}/download?result_type={result_type}"


async def test_full_download_has_all_headers_and_the_exact_size(
    emulator_api: httpx.AsyncClient, sized_order: str
) -> None:
    response = await emulator_api.get(_url(sized_order))
    assert response.status_code == 200
    headers = response.headers
    assert int(headers["content-length"]) == len(response.content) == 3 * 1024 * 1024 + 17
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"')
    assert headers["last-modified"].endswith("GMT")
    assert f'filename="{sized_order}_summary_chroms.tsv"' in headers["content-disposition"]
    assert response.content.startswith(b"sample_id\tchromosome\t")


async def test_range_requests_return_206_with_the_same_bytes(
    emulator_api: httpx.AsyncClient, sized_order: str
) -> None:
    full = (await emulator_api.get(_url(sized_order))).content
    part = await emulator_api.get(_url(sized_order), headers={"Range": "bytes=1048570-2097160"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1048570-2097160/{len(full)}"
    assert part.content == full[1048570:2097161]
    tail = await emulator_api.get(_url(sized_order), headers={"Range": "bytes=-10"})
    assert tail.content == full[-10:]


async def test_unsatisfiable_range_is_416_with_the_size(
    emulator_api: httpx.AsyncClient, sized_order: str
) -> None:
    response = await emulator_api.get(_url(sized_order), headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{3 * 1024 * 1024 + 17}"


async def test_if_range_with_a_stale_etag_gets_the_whole_file(
    emulator_api: httpx.AsyncClient, sized_order: str
) -> None:
    etag = (await emulator_api.head(_url(sized_order))).headers["etag"]
    fresh = await emulator_api.get(
        _url(sized_order), headers={"Range": "bytes=5-9", "If-Range": etag}
    )
    stale = await emulator_api.get(
        _url(sized_order), headers={"Range": "bytes=5-9", "If-Range": '"other"'}
    )
    assert (fresh.status_code, len(fresh.content)) == (206, 5)
    assert stale.status_code == 200
    assert len(stale.content) == 3 * 1024 * 1024 + 17


async def test_ranges_can_be_switched_off(
    emulator: Emulator, emulator_api: httpx.AsyncClient, sized_order: str
) -> None:
    emulator.accept_ranges = False
    response = await emulator_api.get(_url(sized_order), headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert "accept-ranges" not in response.headers
    emulator.accept_ranges = True
    emulator.faults.disable_ranges()
    response = await emulator_api.get(_url(sized_order), headers={"Range": "bytes=0-9"})
    assert response.status_code == 200


async def test_a_300_mib_result_streams_over_tcp_with_the_right_md5(emulator: Emulator) -> None:
    size = 300 * 1024 * 1024
    order_id = emulator.add_order(result_sizes={"DETAILED_CHROMS": size})
    digest, received = hashlib.md5(), 0
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    path = f"/api/v1/{_url(order_id, 'DETAILED_CHROMS')}"
    async with (
        emulator.serve() as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        assert int(response.headers["content-length"]) == size
        async for chunk in response.aiter_raw():
            digest.update(chunk)
            received += len(chunk)
    order = emulator.state.orders[order_id]
    blob, _ = emulator.state.result_blob(order, "DETAILED_CHROMS", None)
    assert received == size
    assert digest.hexdigest() == blob.md5_hex()
    assert emulator.max_concurrent_downloads == 1
    assert emulator.active_downloads == 0


async def test_source_files_download_with_their_md5_etag(
    emulator: Emulator, emulator_api: httpx.AsyncClient
) -> None:
    listed = emulator.add_file("genome.txt", size=200_000)
    response = await emulator_api.get(f"data/files/{listed['id']}/download")
    assert response.status_code == 200
    assert hashlib.md5(response.content).hexdigest() == listed["check_sum"]
    assert response.headers["etag"] == f'"{listed["check_sum"]}"'
    assert 'filename="genome.txt"' in response.headers["content-disposition"]
