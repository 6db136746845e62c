"""The one cattrs converter that turns API JSON into models and back.

It is liberal in what it accepts: unknown fields go to ``.extra``, unknown enum values load,
``null`` lists load as empty, timestamps with ``Z`` or any fraction load as aware datetimes,
``Order.result_types`` loads from plain strings or ``{"type", "label"}`` objects, and
``pdf_metadata`` loads from an object or from the JSON string the API echoes.

It is strict about types: a number where text belongs, text or ``Infinity`` where an integer
belongs, an object where a list belongs... is an error that names the model and the field
path (``Order.started_at``, ``Order.tags[2].name``), never the value: ``structure`` raises
``InvalidResponseError`` (the server's answer), ``load`` a ``ValueError`` (the caller's data).
cattrs' own exception, which carries the values, is never chained.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import override

from galatea_async._converter_scalars import (
    FROMISOFORMAT_TAKES_Z,
    parse_datetime,
    structure_bool,
    structure_float,
    structure_int,
    structure_optional_datetime,
    structure_str,
)
from galatea_async._enums import OpenStrEnum, ResultType
from galatea_async._misfits import describe_misfit
from galatea_async._models import (
    Order,
    Organization,
    OrganizationModel,
    PdfMetadata,
    PdfReport,
    SourceFile,
    Tag,
    Tokens,
    User,
)
from galatea_async._quick_structure import FieldsLoader
from galatea_async.errors import InvalidResponseError

__all__ = ["converter", "load", "structure", "structurer", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=False)

# Class hooks go by the most specific class: bool's wins over int's, and the str enums' (below)
# over str's.
converter.register_structure_hook(int, structure_int)
converter.register_structure_hook(float, structure_float)
converter.register_structure_hook(str, structure_str)
converter.register_structure_hook(bool, structure_bool)
converter.register_structure_hook(dt.datetime, lambda value, _: parse_datetime(value))
converter.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())


def _structure_open_enum(value: Any, cls: type[OpenStrEnum]) -> OpenStrEnum:
    """The member spelled ``value``: a dictionary look-up for the spellings already met, the
    enum's own (case-folding, unknown-value) lookup for the rest."""
    member = cls._value2member_map_.get(value) if value.__class__ is str else None
    return member if member is not None else cls(value)  # type: ignore[return-value]


converter.register_structure_hook(OpenStrEnum, _structure_open_enum)
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda value: value.value
)


def _structure_result_types(value: Any, _: Any) -> list[ResultType]:
    """Result types from either shape; duplicates (the zip and the viewer entry) folded."""
    if value is not None and not isinstance(value, list):
        raise TypeError("not a list")
    seen: dict[str, ResultType] = {}
    for item in value or ():
        raw = item.get("type") if isinstance(item, dict) else item
        if isinstance(raw, str) and raw and raw not in seen:
            seen[raw] = _KNOWN_RESULT_TYPES.get(raw) or ResultType(raw)
    return list(seen.values())


_KNOWN_RESULT_TYPES: dict[str, ResultType] = {member.value: member for member in ResultType}


def _is_optional(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _optional_hook(cls: Any) -> Any:
    """``X | None``: the hook of ``X`` looked up once, not for every value as cattrs' own
    does (a listing of 10,000 orders structures 130,000 optional fields); text, integers and
    booleans that already have their type are taken as they are, without a call."""
    inner = next(arg for arg in typing.get_args(cls) if arg is not type(None))
    hook = converter.get_structure_hook(inner)
    if inner in (str, int, bool):

        def structure_optional_plain(value: Any, _: Any) -> Any:
            # The exact class only: a bool is not taken as an int, nor an int as text.
            if value is None or value.__class__ is inner:
                return value
            return hook(value, inner)

        return structure_optional_plain

    if isinstance(inner, type) and issubclass(inner, OpenStrEnum):
        members = inner._value2member_map_

        def structure_optional_member(value: Any, _: Any) -> Any:
            member = members.get(value) if value.__class__ is str else None
            if member is not None or value is None:
                return member
            return inner(value)

        return structure_optional_member

    if inner is dt.datetime and FROMISOFORMAT_TAKES_Z:
        return structure_optional_datetime

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def _structure_pdf_metadata(value: Any, _: Any) -> PdfMetadata | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    return _structure_with_extra(value, PdfMetadata)


def _list_hook(cls: Any) -> Any:
    """``list[X]``: ``null`` loads as empty; the hook of ``X`` is looked up once, not per item."""
    item_type = getattr(cls, "__args__", (Any,))[0]
    item_hook = converter.get_structure_hook(item_type)

    def structure_list(value: Any, _: Any) -> list[Any]:
        if value is None or (value.__class__ is list and not value):
            return []
        if not isinstance(value, list):
            raise TypeError("not a list")
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(item_hook(item, item_type))
            except Exception as error:  # gathered with its index, as cattrs' own list hook does
                note = IterableValidationNote(
                    f"Structuring {cls} @ index {index}", index, item_type
                )
                setattr(error, "__notes__", [*getattr(error, "__notes__", []), note])  # noqa: B010
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {cls!r}", errors, cls)
        return items

    return structure_list


converter.register_structure_hook_factory(
    lambda cls: getattr(cls, "__origin__", None) is list, _list_hook
)
converter.register_structure_hook_factory(_is_optional, _optional_hook)

# Per model: the loader of its known fields, its hook, and the names of those fields.
_LOADERS: dict[type, FieldsLoader] = {}
_BASE_HOOKS: dict[type, Any] = {}
_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _structure_with_extra(data: Any, cls: type[T]) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    names = _FIELD_NAMES[cls]
    if "extra" not in data and names.issuperset(data):
        # Documented fields only (the usual answer): nothing to sort out, no copy.
        only_known: T = _BASE_HOOKS[cls](data, cls)
        return only_known
    known = {key: value for key, value in data.items() if key in names and key != "extra"}
    known["extra"] = {key: value for key, value in data.items() if key not in names}
    structured: T = _BASE_HOOKS[cls](known, cls)
    return structured


def _structure_exact(data: Any, cls: type[T]) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    structured: T = _BASE_HOOKS[cls](data, cls)
    return structured


def register_model(model: type[Any]) -> None:
    """Load and dump ``model`` like the API's models (for attrs classes defined elsewhere:
    ``DownloadRequest``, the webhook events); unknown keys go to ``extra`` if it has one."""
    has_extra = "extra" in attrs.fields_dict(model)
    _register(model, _structure_with_extra if has_extra else _structure_exact)


def _register(model: type[Any], hook: Any = _structure_with_extra, **overrides: Any) -> None:
    _FIELD_NAMES[model] = frozenset(field.name for field in attrs.fields(model))
    _LOADERS[model] = FieldsLoader(model, converter, overrides)
    _BASE_HOOKS[model] = _LOADERS[model].structure
    converter.register_structure_hook(model, hook)


def _structure_organization_model(value: Any, cls: type[OrganizationModel]) -> OrganizationModel:
    # A bare model name is the shape organizations/{id}/models answers on some servers.
    if isinstance(value, str):
        return OrganizationModel(name=value)
    if isinstance(value, dict) and "name" not in value and "model_name" in value:
        value = {**value, "name": value["model_name"]}
    return _structure_with_extra(value, cls)


_register(Tokens)
_register(Organization)
_register(User)
_register(SourceFile)
_register(Tag)
_register(PdfReport)
_register(PdfMetadata)
_register(
    Order,
    result_types=override(struct_hook=_structure_result_types),
    pdf_metadata=override(struct_hook=_structure_pdf_metadata),
)
_register(OrganizationModel, _structure_organization_model)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return converter.unstructure(value)


def _unstructure_with_extra(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in attrs.fields(type(obj)):
        if field.name == "extra":
            continue
        data[field.name] = _plain(getattr(obj, field.name))
    data.update(converter.unstructure(getattr(obj, "extra", {})))
    return data


converter.register_unstructure_hook_func(lambda cls: cls in _FIELD_NAMES, _unstructure_with_extra)


# What a hook raises for a value that does not fit.
_MISFIT_ERRORS = (cattrs.BaseValidationError, TypeError, ValueError, KeyError, OverflowError)


def structure(data: Any, cls: type[T]) -> T:
    """A model (or a list of them, with ``list[Model]``) from the API's decoded JSON.

    ``InvalidResponseError`` names the model and the field that does not fit, never the value.
    """
    return structurer(cls)(data)


def structurer(cls: type[T]) -> Callable[[Any], T]:
    """``structure(data, cls)`` as a function of ``data``, for a listing's every item: the
    hook of ``cls`` is looked up once.

    For a model loaded with ``extra``, the usual answer (a JSON object of documented fields
    only) goes straight to the model's quick function; anything else, and anything the quick
    function refuses, takes the converter's whole path, which also names the misfit.
    """
    hook = converter.get_structure_hook(cls)
    documented_only = hook is _structure_with_extra
    names = _FIELD_NAMES[cls] if documented_only else frozenset()
    quick = _LOADERS[cls].quick() if documented_only else None

    def structure_one(data: Any) -> T:
        if (
            quick is not None
            and data.__class__ is dict
            and "extra" not in data
            and names.issuperset(data)
        ):
            try:
                usual: T = quick(data, cls)
                return usual
            except Exception:  # noqa: S110 - the whole path below names what does not fit
                pass
        try:
            structured: T = hook(data, cls)
            return structured
        except _MISFIT_ERRORS as error:
            problem = describe_misfit(error, cls)
        raise InvalidResponseError(
            f"the API's answer does not fit the SDK: {problem} (if galatea-async is up to "
            "date, the server no longer matches the API reference: report it)"
        ) from None

    return structure_one


def load(data: Any, cls: type[T]) -> T:
    """A model from JSON-ready data; ``ValueError`` names the model and the misfit field."""
    try:
        return converter.structure(data, cls)
    except _MISFIT_ERRORS as error:
        problem = describe_misfit(error, cls)
    # Raised outside the except block: the original (it holds the values) is not even context.
    raise ValueError(problem) from None


def unstructure(obj: Any) -> Any:
    """Plain JSON-ready data from a model (datetimes as ISO text, enums as their values)."""
    return converter.unstructure(obj)
