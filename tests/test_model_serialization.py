"""Models to JSON and back (``to_dict``, ``to_json``, ``from_dict``), and misfit fields named.

A field of the wrong type in the server's answer is an ``InvalidResponseError`` naming the
model and the field path, never the value; the same data given to
``from_dict`` is a ``ValueError`` saying the same.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import traceback
import typing
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async import (
    InvalidResponseError,
    Order,
    PdfMetadata,
    PdfReport,
    ResultType,
    SourceFile,
    Tag,
    Tokens,
    User,
)
from galatea_async._converter import structure
from galatea_async._enums import OpenStrEnum
from galatea_async._models import Organization, OrganizationModel
from tests import payloads

CANARY = "Canary Patient Q"

# -- to_dict / to_json / from_dict -------------------------------------------------------------


def test_to_dict_is_the_apis_json_with_unknown_fields_kept() -> None:
    order = Order.from_dict(
        payloads.order(
            started_at="2025-07-14T09:06:26.1Z",
            brand_new_field={"x": [1, 2]},
            pdf_metadata={"patient_name": "P"},
        )
    )
    data = order.to_dict()
    assert data["id"] == payloads.ORDER_ID and isinstance(data["id"], str)
    assert data["status"] == "Completed"
    assert data["started_at"] == "2025-07-14T09:06:26.100000+00:00"
    assert data["result_types"] == ["SUMMARY_SUPERSET", "PDF_REPORT"]
    assert data["brand_new_field"] == {"x": [1, 2]}
    assert data["pdf_metadata"]["patient_name"] == "P"
    assert "extra" not in data
    assert json.loads(order.to_json()) == data
    assert json.loads(order.to_json(indent=2)) == data
    again = Order.from_dict(data)
    assert again == order and again.extra == order.extra


def test_every_model_has_to_dict_to_json_and_from_dict() -> None:
    for model in (
        Tokens,
        Organization,
        User,
        OrganizationModel,
        SourceFile,
        Tag,
        PdfMetadata,
        Order,
        PdfReport,
    ):
        assert callable(model.from_dict)
        assert callable(model.to_dict) and callable(model.to_json)


def test_the_cli_no_longer_imports_the_private_converter() -> None:
    from pathlib import Path

    import galatea_async.cli

    for module in Path(galatea_async.cli.__file__).parent.glob("*.py"):
        assert "_converter" not in module.read_text(), module.name


# Strategies: what the API sends, built as models (so the round trip starts from a model).

_TEXT = st.text(max_size=12)
_TIMESTAMPS = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.builds(
        dt.timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timedelta(minutes=m))
    ),
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _enum(cls: type[OpenStrEnum]) -> st.SearchStrategy[Any]:
    # Documented members and values the server may invent later.
    return st.sampled_from(list(cls)) | st.text(min_size=1, max_size=10).map(cls)


def _type_strategy(kind: Any) -> st.SearchStrategy[Any]:
    args = typing.get_args(kind)
    if type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        return st.none() | _type_strategy(inner)
    if typing.get_origin(kind) is list:
        (item,) = args
        if item is ResultType:  # the converter folds duplicates, as the API sends them twice
            return st.lists(_enum(ResultType), max_size=3, unique_by=lambda r: r.value)
        return st.lists(_type_strategy(item), max_size=2)
    if kind is Any:
        return _JSON
    if isinstance(kind, type) and issubclass(kind, OpenStrEnum):
        return _enum(kind)
    if isinstance(kind, type) and attrs.has(kind):
        return _model(kind)
    return {
        str: _TEXT,
        int: st.integers(),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        dt.datetime: _TIMESTAMPS,
    }[kind]


def _model(cls: type[Any]) -> st.SearchStrategy[Any]:
    attrs.resolve_types(cls)
    fields = [field for field in attrs.fields(cls) if field.name != "extra"]
    names = {field.name for field in attrs.fields(cls)}
    extra = st.dictionaries(_TEXT.filter(lambda key: key not in names), _JSON, max_size=2)
    return st.builds(
        cls, **{field.name: _type_strategy(field.type) for field in fields}, extra=extra
    )


MODELS = [Tokens, Organization, User, OrganizationModel, SourceFile, Tag, PdfMetadata, Order]
MODELS.append(PdfReport)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_from_dict_of_to_dict_gives_the_model_back(cls: type[Any], data: st.DataObject) -> None:
    model = data.draw(_model(cls))
    as_dict = model.to_dict()
    again = cls.from_dict(json.loads(model.to_json()))
    assert again == model
    assert again.to_dict() == as_dict
    assert again.extra == model.extra


# -- 10.10: misfit fields ------------------------------------------------------------------------

WRONG_TYPES = [
    pytest.param(Order, {"amount_of_samples": CANARY}, "Order.amount_of_samples", id="text-int"),
    pytest.param(Order, {"amount_of_samples": math.inf}, "Order.amount_of_samples", id="inf-int"),
    pytest.param(Order, {"amount_of_samples": 2.5}, "Order.amount_of_samples", id="float-int"),
    pytest.param(Order, {"amount_of_samples": True}, "Order.amount_of_samples", id="bool-int"),
    pytest.param(Order, {"execution_time": math.nan}, "Order.execution_time", id="nan-float"),
    pytest.param(Order, {"started_at": 12}, "Order.started_at", id="number-timestamp"),
    pytest.param(Order, {"started_at": CANARY}, "Order.started_at", id="text-timestamp"),
    pytest.param(Order, {"tags": {"id": CANARY}}, "Order.tags", id="object-list"),
    pytest.param(Order, {"result_types": CANARY}, "Order.result_types", id="text-list"),
    pytest.param(
        Order,
        {"tags": [payloads.tag(), {"id": "t2", "name": {"n": CANARY}}]},
        "Order.tags[1].name",
        id="nested",
    ),
    pytest.param(Order, {"src_file_name": [CANARY]}, "Order.src_file_name", id="list-text"),
    pytest.param(Order, {"virtual": CANARY}, "Order.virtual", id="text-bool"),
    pytest.param(Order, {"status": 12}, "Order.status", id="number-enum"),
    pytest.param(User, {"org": CANARY}, "User.org", id="text-object"),
    pytest.param(SourceFile, {"file_size_bytes": "12" + CANARY}, "SourceFile.file_size_bytes"),
]


def _payload(cls: type[Any], fields: dict[str, Any]) -> dict[str, Any]:
    base = {
        Order: payloads.order,
        User: payloads.user,
        SourceFile: payloads.source_file,
    }[cls]()
    return {**base, "patient_note": CANARY, **fields}


def _rendered(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)) + repr(
        error
    )


@pytest.mark.parametrize(("cls", "fields", "path"), WRONG_TYPES)
def test_a_misfit_field_in_an_answer_names_model_and_path_never_the_value(
    cls: type[Any], fields: dict[str, Any], path: str
) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        structure(_payload(cls, fields), cls)
    error = caught.value
    assert f"{path} is not " in str(error)
    assert error.__cause__ is None and error.__context__ is None and error.__suppress_context__
    assert "canary" not in _rendered(error).lower()


@pytest.mark.parametrize(("cls", "fields", "path"), WRONG_TYPES)
def test_a_misfit_field_in_from_dict_is_a_value_error_naming_it(
    cls: type[Any], fields: dict[str, Any], path: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"{path} is not ")):
        cls.from_dict(_payload(cls, fields))


def test_a_missing_required_field_is_named() -> None:
    data = payloads.order()
    del data["id"]
    with pytest.raises(InvalidResponseError, match=r"Order\.id is missing"):
        structure(data, Order)


def test_a_list_of_models_names_the_item() -> None:
    with pytest.raises(InvalidResponseError, match=r"list\[Tag\]\[1\]\.name is not text"):
        structure([payloads.tag(), {"id": "t", "name": [CANARY]}], list[Tag])


def test_values_the_api_sends_loosely_still_load() -> None:
    order = structure(
        payloads.order(amount_of_samples="3", execution_time=2, virtual="false", id=12), Order
    )
    assert order.amount_of_samples == 3 and order.execution_time == 2.0
    assert order.virtual is False and order.id == "12"
    assert structure(payloads.order(amount_of_samples=4.0), Order).amount_of_samples == 4
