"""``from_caller`` accepts every documented member of every enum, as itself or by its value."""

from __future__ import annotations

import pytest

from galatea_async._enums import OpenStrEnum


def _all_kinds(kind: type[OpenStrEnum]) -> list[type[OpenStrEnum]]:
    return [kind, *(each for sub in kind.__subclasses__() for each in _all_kinds(sub))]


_MEMBERS = [
    pytest.param(kind, member, id=f"{kind.__name__}.{member.name}")
    for kind in _all_kinds(OpenStrEnum)
    for member in kind.__members__.values()
]


def test_the_enums_are_found() -> None:
    assert len({param.values[0] for param in _MEMBERS}) >= 5


@pytest.mark.parametrize(("kind", "member"), _MEMBERS)
def test_a_documented_member_is_accepted_as_itself_and_by_its_value_in_any_case(
    kind: type[OpenStrEnum], member: OpenStrEnum
) -> None:
    assert kind.from_caller(member, "parameter") is member
    for spelling in (member.value, member.value.upper(), f" {member.value.lower()} "):
        assert kind.from_caller(spelling, "parameter") is member


def test_a_member_of_another_enum_is_taken_by_its_value() -> None:
    from galatea_async import OrderStatus, StatusGroup

    assert StatusGroup.from_caller(OrderStatus.COMPLETED, "status_group") is StatusGroup.COMPLETED
