"""``check_id`` returns the text ``str(uuid.UUID(...))`` gives, whether or not it parses."""

from __future__ import annotations

import uuid

import pytest

from galatea_async._validation import check_id

_ID = "9085d0d2-3333-1111-2222-4114602c2aa6"


class _Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        _ID,
        _ID.upper(),
        f" {_ID} ",
        _ID + "\n",
        "{" + _ID + "}",
        f"urn:uuid:{_ID}",
        _ID.replace("-", ""),
        uuid.UUID(_ID),
        _Text(_ID),
    ],
)
def test_every_accepted_spelling_gives_the_canonical_plain_text(value: str | uuid.UUID) -> None:
    checked = check_id(value, "order_id")
    assert checked == _ID
    assert type(checked) is str


@pytest.mark.parametrize(
    "bad",
    [_ID + "0", _ID[:-1], _ID.replace("-", "_"), "g" + _ID[1:]],
)
def test_an_almost_canonical_id_is_still_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="order_id must be a UUID"):
        check_id(bad, "order_id")
