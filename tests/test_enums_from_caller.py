"""Enum values a caller passes must be documented ones; values from the server stay open."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from galatea_async import AsyncGalatea, OrderStatus, PdfReportType, ResultType, StatusGroup
from galatea_async._enums import OpenStrEnum
from tests import payloads
from tests.payloads import FILE_ID, ORDER_ID


def test_a_documented_member_or_its_value_in_any_case_is_accepted() -> None:
    assert StatusGroup.from_caller(StatusGroup.RUNNING, "status_group") is StatusGroup.RUNNING
    assert StatusGroup.from_caller(" Completed ", "status_group") is StatusGroup.COMPLETED
    assert OrderStatus.from_caller("model COMPLETED", "status") is OrderStatus.MODEL_COMPLETED


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (StatusGroup, StatusGroup("bogus")),
        (StatusGroup, "bogus"),
        (OrderStatus, OrderStatus("Quantum entangled")),
        (ResultType, ResultType("HOLOGRAM")),
        (PdfReportType, 7),
    ],
)
def test_an_undocumented_value_is_refused_naming_the_parameter_and_the_known_values(
    kind: type[OpenStrEnum], value: Any
) -> None:
    with pytest.raises(ValueError, match="is not a known") as caught:
        kind.from_caller(value, "the_parameter")
    message = str(caught.value)
    assert message.startswith("the_parameter ")
    assert all(known in message for known in kind.known_values())


def test_the_refusal_repeats_at_most_a_short_part_of_a_long_value() -> None:
    with pytest.raises(ValueError, match="is not a known") as caught:
        StatusGroup.from_caller("x" * 10_000, "status_group")
    assert len(str(caught.value)) < 300


def test_a_value_from_the_server_still_loads_as_an_extra_member() -> None:
    assert StatusGroup("bogus").value == "bogus"


@pytest.mark.parametrize(
    "arguments",
    [
        {"status_group": StatusGroup("bogus")},
        {"status_group": "bogus"},
        {"status": OrderStatus("Quantum entangled")},
        {"status": "Quantum entangled"},
    ],
)
async def test_orders_list_refuses_an_undocumented_filter_before_any_request(
    client: AsyncGalatea, router: respx.Router, arguments: dict[str, Any]
) -> None:
    route = router.get("/exec/orders").respond(json=payloads.page([payloads.order()]))
    with pytest.raises(ValueError, match="is not a known"):
        client.orders.list(**arguments)
    assert route.call_count == 0


async def test_orders_list_sends_a_documented_status_in_the_api_spelling(
    client: AsyncGalatea, router: respx.Router
) -> None:
    route = router.get("/exec/orders").respond(json=payloads.page([payloads.order()]))
    _ = [order async for order in client.orders.list(status="model completed")]
    assert route.calls.last.request.url.params["status"] == "Model completed"


async def test_results_download_refuses_an_extra_result_type_member_before_any_request(
    client: AsyncGalatea, router: respx.Router, tmp_path: Any
) -> None:
    with pytest.raises(ValueError, match="HOLOGRAM"):
        await client.results.download(ORDER_ID, ResultType("HOLOGRAM"), tmp_path)
    assert not router.calls


async def test_orders_submit_refuses_an_extra_pdf_report_type_member_before_any_request(
    client: AsyncGalatea, router: respx.Router
) -> None:
    with pytest.raises(ValueError, match="PRS_RUO_CARDIO"):
        await client.orders.submit(
            FILE_ID, "prs ruo model", pdf_report_types=[PdfReportType("PRS_MADE_UP")]
        )
    assert not router.calls
