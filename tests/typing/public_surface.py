"""What a user's type checker sees of the public surface (checked by ``mypy --strict``).

Never run, only checked: ``test_public_types.py`` runs mypy on this file and expects no error.
Each ``assert_type`` pins the type a user gets; a change that widens one to ``Any`` or an
``Optional`` fails the suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import assert_type

from galatea_async import (
    AsyncGalatea,
    DownloadOutcome,
    DownloadRequest,
    Order,
    OrderStatus,
    PdfReport,
    ResultType,
    SourceFile,
    StatusGroup,
    SyncReport,
    Tag,
    Tokens,
    UploadOutcome,
    User,
)
from galatea_async.errors import APIError


async def resources(client: AsyncGalatea, order_id: str) -> None:
    assert_type(await client.users.me(), User)
    assert_type(await client.orders.get(order_id), Order)
    assert_type(await client.orders.wait(order_id), Order)
    assert_type(await client.orders.submit(order_id, "prs ruo model"), Order)
    assert_type(await client.files.get(order_id), SourceFile)
    assert_type(await client.files.upload(b"data", filename="a.txt"), SourceFile)
    outcomes = await client.files.upload_many(["a.txt", Path("b.vcf.gz")])
    assert_type(outcomes, list[UploadOutcome])
    assert_type(outcomes[0].result(), SourceFile)
    assert_type(await client.files.wait_until_valid(order_id), SourceFile)
    assert_type(await client.files.download(order_id, "out/"), Path)
    assert_type(await client.tags.create("cohort"), Tag)
    assert_type(await client.auth.login("me@lab.org", "pw"), Tokens)
    assert_type(await client.results.download(order_id, ResultType.SUMMARY_CHROMS), Path)
    assert_type(await client.results.sync("mirror/"), SyncReport)
    assert_type(await client.results.sync("mirror/", status_group=StatusGroup.FAILED), SyncReport)


async def listings(client: AsyncGalatea) -> None:
    async for order in client.orders.list(status_group="completed"):
        assert_type(order, Order)
        assert_type(order.status, OrderStatus | None)
        assert_type(order.result_types, list[ResultType])
    async for order in client.orders.list(status_group=StatusGroup.RUNNING, limit=3):
        assert_type(order, Order)
    async for source_file in client.files.list(limit=1):
        assert_type(source_file, SourceFile)
    async for tag in client.tags.list(name="cohort"):
        assert_type(tag, Tag)
    async for report in client.results.pdf_reports("order-id"):
        assert_type(report, PdfReport)


async def downloads(client: AsyncGalatea, order: Order) -> None:
    outcomes = await client.results.download_many(
        [
            (order.id, "SUMMARY_CHROMS"),
            (order.id, ResultType.PDF_REPORT, "pdf-request-id"),
            DownloadRequest(order_id=order.id, result_type="DETAILED_CHROMS"),
        ],
        "out/",
    )
    assert_type(outcomes, list[DownloadOutcome])
    for outcome in outcomes:
        assert_type(outcome.result(), Path)  # the path, or the stored error raised
        assert_type(outcome.error, BaseException | None)
        if outcome.ok:
            pass


def models(order: Order) -> None:
    assert_type(order.to_dict(), dict[str, Any])
    assert_type(order.to_json(), str)
    assert_type(Order.from_dict(order.to_dict()), Order)
    assert_type(SourceFile.from_dict({"id": "f"}), SourceFile)
    assert_type(order.is_final, bool)


def errors(error: APIError) -> None:
    assert_type(error.status_code, int | None)
