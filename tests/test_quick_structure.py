"""The generated quick structure function makes exactly the model cattrs' own function makes,
and refuses exactly what it refuses, for every model and any mix of field values."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import attrs
import pytest
from cattrs.gen import make_dict_structure_fn, override
from hypothesis import given, settings
from hypothesis import strategies as st

from galatea_async._converter import (
    _structure_pdf_metadata,
    _structure_result_types,
    converter,
)
from galatea_async._models import (
    Order,
    Organization,
    PdfMetadata,
    PdfReport,
    SourceFile,
    Tag,
    Tokens,
    User,
)
from galatea_async._quick_structure import field_hooks, make_quick_structure
from tests import payloads as payloads_module

_NUMBERS: list[Any] = [0, 1, 2, -7, 1.0, 2.5, float("nan"), float("inf"), 10**30]
_TEXTS: list[Any] = ["", "x", "true", "false", "12", " 3 ", "Completed", "COMPLETED", "GNT"]
VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        *_NUMBERS,
        *_TEXTS,
        "2026-12-06T15:12:15.000000Z",
        "2026-12-06 15:12:15",
        "not a date",
        [],
        [{"type": "SUMMARY_CHROMS", "label": "x"}],
        ["SUMMARY_CHROMS", "SUMMARY_CHROMS"],
        [{"id": "t1", "name": "tag"}],
        [1, 2],
        {},
        {"a": 1},
        '{"patient_name": "x"}',
        dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    ]
)
# The converter's own overrides for orders (result types from either shape, PDF metadata from
# an object or its JSON text), so that the usual order payload loads.
_OVERRIDES = {
    Order: {
        "result_types": override(struct_hook=_structure_result_types),
        "pdf_metadata": override(struct_hook=_structure_pdf_metadata),
    }
}
MODELS = [Order, Organization, PdfMetadata, PdfReport, SourceFile, Tag, Tokens, User]


@functools.cache
def _functions(model: type[Any]) -> tuple[Any, Any]:
    """The quick function and cattrs' own, from the same field hooks."""
    hooks = field_hooks(model, converter, _OVERRIDES.get(model, {}))
    reference = make_dict_structure_fn(
        model,
        converter,
        _cattrs_detailed_validation=False,
        **{name: override(struct_hook=hook) for name, hook in hooks.items()},
    )
    return make_quick_structure(model, hooks), reference


def _outcome(function: Any, data: dict[str, Any], model: type[Any]) -> tuple[str, Any]:
    try:
        return ("made", function(data, model))
    except Exception:
        # Which error does not matter: a refusal sends the caller to cattrs' detailed
        # function, which names the misfit.
        return ("refused", None)


@st.composite
def payloads(draw: st.DrawFn, model: type[Any]) -> dict[str, Any]:
    """A payload that fits (``tests.payloads.order`` for orders, text in every required
    field otherwise) with a few fields changed, dropped or added."""
    fields = attrs.fields(model)
    if model is Order:
        data: dict[str, Any] = payloads_module.order()
    else:
        data = {field.name: "x" for field in fields if field.default is attrs.NOTHING}
    for field in draw(st.lists(st.sampled_from(fields), max_size=3)):
        if draw(st.integers(0, 4)) == 0:
            data.pop(field.name, None)
        elif field.name == "extra":
            data["extra"] = draw(st.sampled_from([{}, {"a": 1}, None, [1]]))
        else:
            data[field.name] = draw(VALUES)
    return data


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_quick_structure_makes_what_cattrs_makes_and_refuses_what_it_refuses(
    model: type[Any], data: st.DataObject
) -> None:
    quick, reference = _functions(model)
    payload = data.draw(payloads(model))
    made, expected = _outcome(quick, payload, model), _outcome(reference, payload, model)
    assert made[0] == expected[0]
    if made[0] == "made":
        # Every field, extra (left out of ==) included; repr so that NaN equals NaN.
        assert repr(attrs.astuple(made[1])) == repr(attrs.astuple(expected[1]))


def test_a_text_field_given_text_is_taken_without_its_hook() -> None:
    calls: list[str] = []

    def counting(value: Any, _: Any) -> Any:
        calls.append(value)
        return value

    hooks = {**field_hooks(Tag, converter, {}), "id": counting, "name": counting}
    tag = make_quick_structure(Tag, hooks)({"id": "t1", "name": "n", "org_id": None}, Tag)
    assert tag == Tag(id="t1", name="n")
    assert calls == []
    make_quick_structure(Tag, hooks)({"id": 5, "name": 6}, Tag)
    assert calls == [5, 6]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("execution_time", float("nan")),
        ("execution_time", float("inf")),
        ("amount_of_samples", True),
        ("amount_of_samples", 2.0),
        ("src_file_name", 5.5),
        ("virtual", 1),
    ],
)
def test_a_value_of_another_class_or_not_finite_goes_through_its_hook(
    field: str, value: Any
) -> None:
    quick, reference = _functions(Order)
    data = {**payloads_module.order(), field: value}
    assert _outcome(quick, data, Order)[0] == _outcome(reference, data, Order)[0]
    made = _outcome(quick, data, Order)
    if made[0] == "made":
        assert repr(getattr(made[1], field)) == repr(getattr(reference(data, Order), field))


def test_an_optional_enum_spelled_as_a_member_is_taken_without_its_hook() -> None:
    calls: list[Any] = []

    def counting(value: Any, kind: Any) -> Any:
        calls.append(value)
        return converter.get_structure_hook(kind)(value, kind)

    hooks = {**field_hooks(Order, converter, _OVERRIDES[Order]), "status": counting}
    quick = make_quick_structure(Order, hooks)
    assert quick({**payloads_module.order(), "status": "Completed"}, Order).status == "Completed"
    assert calls == []
    folded = quick({**payloads_module.order(), "status": "completed"}, Order)
    assert folded.status == "Completed" and calls == ["completed"]


@attrs.frozen
class _Checked:
    name: str = attrs.field(validator=attrs.validators.min_len(2))


@attrs.frozen
class _Finished:
    name: str
    seen: list[str] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.seen.append(self.name)


@attrs.frozen(cache_hash=True)
class _Hashed:
    name: str


def test_a_model_whose_init_does_more_than_store_its_fields_is_made_through_init() -> None:
    # Storing the values in the slots would skip the validator, the hook and the cached hash.
    hooks = {"name": lambda value, _: value, "seen": lambda value, _: value}
    with pytest.raises(ValueError, match="name"):
        make_quick_structure(_Checked, hooks)({"name": "x"}, _Checked)
    finished = make_quick_structure(_Finished, hooks)({"name": "n"}, _Finished)
    assert finished.seen == ["n"]
    hashed = make_quick_structure(_Hashed, hooks)({"name": "n"}, _Hashed)
    assert hash(hashed) == hash(_Hashed("n"))


def test_an_order_made_from_its_slots_equals_one_made_by_init() -> None:
    quick, reference = _functions(Order)
    payload = payloads_module.order()
    made, expected = quick(payload, Order), reference(payload, Order)
    assert made == expected
    assert repr(attrs.astuple(made)) == repr(attrs.astuple(expected))
    without_tags = {key: value for key, value in payload.items() if key != "tags"}
    first, second = quick(without_tags, Order), quick(without_tags, Order)
    assert first.tags == [] and first.tags is not second.tags  # each its own, from the factory
