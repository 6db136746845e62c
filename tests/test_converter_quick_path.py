"""Answers that hold only documented fields take the converter's quick path (no copy, cattrs'
quick structure functions); every guarantee of the detailed path holds there too."""

from __future__ import annotations

from typing import Any

import pytest

from galatea_async import InvalidResponseError, Order, OrderStatus
from galatea_async._converter import structure
from galatea_async._converter_scalars import parse_datetime
from tests import payloads
from tests.test_model_serialization import CANARY, WRONG_TYPES, _rendered


@pytest.mark.parametrize(("cls", "fields", "path"), WRONG_TYPES)
def test_a_misfit_field_among_documented_fields_only_is_named_never_its_value(
    cls: type[Any], fields: dict[str, Any], path: str
) -> None:
    data = {**{Order: payloads.order}.get(cls, lambda: {"id": "x"})(), **fields}
    with pytest.raises(InvalidResponseError) as caught:
        structure(data, cls)
    assert f"{path} is not " in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert CANARY.lower() not in _rendered(caught.value).lower()


def test_every_misfit_field_is_counted_not_only_the_first() -> None:
    data = payloads.order(amount_of_samples=True, virtual=CANARY, status=[CANARY])
    with pytest.raises(
        InvalidResponseError, match=r"Order\.status is not text or null \(and 2 more fields\)"
    ):
        structure(data, Order)


def test_a_server_key_named_extra_never_becomes_the_models_extra() -> None:
    order = structure(payloads.order(extra={"shadow": CANARY}), Order)
    assert order.extra == {}


def test_loose_values_convert_and_exact_types_pass_on_the_quick_path() -> None:
    order = structure(
        payloads.order(submitted_by=5, virtual=1, can_request_pdf="true", status="COMPLETED"),
        Order,
    )
    assert order.submitted_by == "5" and order.virtual is True and order.can_request_pdf is True
    assert order.status is OrderStatus.COMPLETED
    with pytest.raises(InvalidResponseError, match=r"Order\.virtual is not true or false"):
        structure(payloads.order(virtual=2), Order)


def test_each_order_gets_its_own_extra() -> None:
    first, second = (structure(payloads.order(), Order) for _ in range(2))
    assert first.extra == {} and first.extra is not second.extra


@pytest.mark.parametrize("empty", [{}, "", 0, False])
def test_an_empty_value_that_is_not_a_list_is_still_refused_for_a_list(empty: Any) -> None:
    with pytest.raises(InvalidResponseError, match=r"Order\.tags is not a list"):
        structure(payloads.order(tags=empty), Order)
    assert structure(payloads.order(tags=[]), Order).tags == []
    assert structure(payloads.order(tags=None), Order).tags == []


def test_an_optional_status_loads_known_folded_and_unknown_spellings() -> None:
    assert structure(payloads.order(status=None), Order).status is None
    assert structure(payloads.order(status="completed"), Order).status is OrderStatus.COMPLETED
    invented = structure(payloads.order(status="Recalibrating"), Order).status
    assert invented is not None and invented.value == "Recalibrating"


@pytest.mark.parametrize(
    "text",
    [
        "2025-07-14T09:06:26.000000Z",
        "2025-07-14T09:06:26",
        "2025-07-14 09:06:26.1",
        "2025-07-14T09:06:26.146529123+02:00",
        "2025-07-14",
    ],
)
def test_an_optional_timestamp_loads_as_parse_datetime_reads_it_always_aware(text: str) -> None:
    started = structure(payloads.order(started_at=text), Order).started_at
    assert started == parse_datetime(text) and started is not None
    assert started.tzinfo is not None
