"""Journeys: the SDK's AsyncGalatea driving the emulator over real TCP on 127.0.0.1."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from galatea_async import AsyncGalatea, ResultType
from galatea_async.emulator import Emulator
from galatea_async.emulator._content import genotype_file

# Every journey builds its client without transport=: GALATEA_TRANSPORT picks it. Both run.
pytestmark = pytest.mark.usefixtures("transport_kind")


@pytest.fixture
async def client(emulator: Emulator, emulator_url: str) -> AsyncIterator[AsyncGalatea]:
    async with AsyncGalatea(api_key=emulator.api_key, base_url=emulator_url) as galatea:
        yield galatea


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


async def test_upload_validate_order_wait_and_download_every_result(
    emulator: Emulator, client: AsyncGalatea, tmp_path: Path
) -> None:
    me = await client.users.me()
    assert me.email == emulator.email
    uploaded = await client.files.get(emulator.add_file("journey.txt", status=None)["id"])
    assert uploaded.status == "PENDING"
    emulator.clock.advance(60)
    valid = await client.files.wait_until_valid(uploaded.id, timeout=5, poll_interval=0.01)
    assert valid.status == "VALID"
    order = await client.orders.submit(
        uploaded.id,
        "prs ruo model",
        pdf_report_types=["PRS_RUO_CARDIO"],
        pdf_metadata={"patient_name": "Journey"},
    )
    emulator.clock.advance(100)
    done = await client.orders.wait(order.id, timeout=5, poll_interval=0.01)
    assert done.status == "Completed"
    for result_type in set(done.result_types):
        path = await client.results.download(done.id, result_type, dest=f"{tmp_path}/out/")
        assert path.parent == tmp_path / "out"
        assert path.stat().st_size > 0
    reports = [r async for r in client.results.pdf_reports(done.id)]
    assert len(reports) == 1
    pdf = await client.results.download_pdf_report(done.id, reports[0], dest=tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert _md5(pdf) == reports[0].check_sum


async def test_upload_then_validation(emulator: Emulator, client: AsyncGalatea) -> None:
    data = genotype_file("journey").read()
    uploaded = await client.files.upload(data, filename="journey.txt")
    assert uploaded.status == "PENDING"
    assert uploaded.check_sum == hashlib.md5(data).hexdigest()
    emulator.clock.advance(60)
    valid = await client.files.wait_until_valid(uploaded.id, timeout=5, poll_interval=0.01)
    assert valid.file_size_bytes == len(data)


async def test_email_password_login_survives_token_expiry(
    emulator: Emulator, emulator_url: str
) -> None:
    async with AsyncGalatea(
        email=emulator.email, password=emulator.password, base_url=emulator_url
    ) as galatea:
        assert (await galatea.users.me()).email == emulator.email
        emulator.faults.expire_tokens()
        assert (await galatea.users.me()).email == emulator.email
        emulator.faults.expire_tokens(refresh=True)
        assert (await galatea.users.me()).email == emulator.email
    logins = [r for r in emulator.requests if r.path.endswith("users/auth")]
    assert len(logins) == 2


async def test_retries_a_503_with_retry_after(emulator: Emulator, client: AsyncGalatea) -> None:
    emulator.faults.fail_next(1, 503, retry_after="0", path="users/me")
    assert (await client.users.me()).email == emulator.email
    assert [r.status for r in emulator.requests if r.path.endswith("users/me")] == [503, 200]


async def test_a_dropped_download_resumes_and_matches(
    emulator: Emulator, client: AsyncGalatea, tmp_path: Path
) -> None:
    size = 5 * 1024 * 1024 + 3
    order_id = emulator.add_order(result_sizes={"DETAILED_CHROMS": size})
    emulator.faults.drop_after(1_500_000, path="/download")
    path = await client.results.download(order_id, ResultType.DETAILED_CHROMS, dest=tmp_path)
    blob, _ = emulator.state.result_blob(emulator.state.orders[order_id], "DETAILED_CHROMS", None)
    assert path.stat().st_size == size
    assert _md5(path) == blob.md5_hex()
    ranged = [r for r in emulator.requests if r.path.endswith("/download") and r.status == 206]
    assert ranged, "the second attempt should ask for the missing range only"


async def test_a_dropped_download_restarts_when_ranges_are_off(
    emulator: Emulator, client: AsyncGalatea, tmp_path: Path
) -> None:
    emulator.accept_ranges = False
    order_id = emulator.add_order(result_sizes={"SUMMARY_CHROMS": 3_000_000})
    emulator.faults.drop_after(1_000_000, path="/download")
    path = await client.results.download(order_id, "SUMMARY_CHROMS", dest=tmp_path)
    assert path.stat().st_size == 3_000_000


async def test_download_many_respects_its_concurrency(
    demo_emulator: Emulator, tmp_path: Path
) -> None:
    completed = [
        order.id
        for order in demo_emulator.state.orders.values()
        if demo_emulator.state.order_status(order) == "Completed"
    ]
    async with (
        demo_emulator.serve() as base_url,
        AsyncGalatea(api_key=demo_emulator.api_key, base_url=base_url) as galatea,
    ):
        outcomes = await galatea.results.download_many(
            [(order_id, "SUMMARY_SUPERSET") for order_id in completed], tmp_path, concurrency=4
        )
    assert all(outcome.error is None for outcome in outcomes)
    assert len({outcome.path for outcome in outcomes}) == len(completed)
    assert 1 < demo_emulator.max_concurrent_downloads <= 4


async def test_tags_order_management_and_logout(emulator: Emulator, emulator_url: str) -> None:
    async with AsyncGalatea(
        email=emulator.email, password=emulator.password, base_url=emulator_url
    ) as galatea:
        tag = await galatea.tags.create("journey")
        renamed = await galatea.tags.rename(tag.id, "journey 2")
        assert renamed.name == "journey 2"
        assert [t.id async for t in galatea.tags.list(name="journey")] == [tag.id]
        order_id = emulator.add_order(status="Registered")
        updated = await galatea.orders.update_tags(order_id, [tag.id])
        assert [t.id for t in updated.tags] == [tag.id]
        await galatea.orders.cancel(order_id)
        assert (await galatea.orders.get(order_id)).status == "Canceled"
        await galatea.tags.delete(tag.id)
        assert [t async for t in galatea.tags.list()] == []
        models = await galatea.organizations.models()
        assert len(models) == 5
        await galatea.auth.logout()
    assert not emulator.state.refresh_tokens
