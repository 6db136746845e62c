"""The suite's own order (tests/conftest.py): files holding a slow test go to the pytest-xdist
workers first, then the others by number of tests, each file's tests kept together in order."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from tests.conftest import pytest_collection_modifyitems


@attrs.frozen
class Collected:
    """What the ordering reads of a collected test: its node id and its ``slow`` marker."""

    nodeid: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return pytest.mark.slow.mark if self.slow and name == "slow" else None


def test_files_with_a_slow_test_come_first_then_the_fullest() -> None:
    items: list[Any] = [
        Collected("a.py::one"),
        Collected("a.py::two"),
        Collected("b.py::one"),
        Collected("c.py::one"),
        Collected("c.py::two", slow=True),
        Collected("d.py::one"),
        Collected("d.py::two[x]"),
        Collected("d.py::two[y]"),
    ]
    pytest_collection_modifyitems(items)
    assert [item.nodeid for item in items] == [
        "c.py::one",
        "c.py::two",
        "d.py::one",
        "d.py::two[x]",
        "d.py::two[y]",
        "a.py::one",
        "a.py::two",
        "b.py::one",
    ]
