"""The literal types of enum-valued parameters list exactly the enums' documented values.

mypy (C's tests/typing) checks that a typo is caught; this keeps the literals and the enums
from drifting apart.
"""

from __future__ import annotations

from typing import get_args

import pytest

from galatea_async._enums import (
    OpenStrEnum,
    OrderStatus,
    OrderStatusValue,
    PdfReportType,
    PdfReportTypeValue,
    StatusGroup,
    StatusGroupValue,
)


@pytest.mark.parametrize(
    ("literal", "enum"),
    [
        (StatusGroupValue, StatusGroup),
        (OrderStatusValue, OrderStatus),
        (PdfReportTypeValue, PdfReportType),
    ],
)
def test_a_parameters_literal_values_are_its_enums_values(
    literal: object, enum: type[OpenStrEnum]
) -> None:
    assert list(get_args(literal)) == enum.known_values()
