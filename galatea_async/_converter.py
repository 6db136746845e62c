"""The one cattrs converter that turns API JSON into models and back.

It is liberal in what it accepts: unknown fields go to ``.extra``, unknown enum values load,
``null`` lists load as empty, timestamps with ``Z`` or any fraction load as aware datetimes,
``Order.result_types`` loads from plain strings or ``{"type", "label"}`` objects, and
``pdf_metadata`` loads from an object or from the JSON string the API echoes.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import sys
import types
import typing
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from galatea_async._enums import OpenStrEnum, ResultType
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

__all__ = ["converter", "parse_datetime", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=False)

_FRACTION = re.compile(r"\.(\d+)")
# Python 3.11's fromisoformat reads "Z" and any fraction; 3.10's needs the rewriting below.
_FROMISOFORMAT_TAKES_Z = sys.version_info >= (3, 11)


def _iso(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_datetime(value: Any) -> dt.datetime:
    """An aware datetime from ISO 8601 text (``Z``, offsets, any fraction); naive means UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and _FROMISOFORMAT_TAKES_Z and (quick := _iso(value)):
        parsed = quick  # the API's own spelling: no rewriting needed (listings parse thousands)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        # Python 3.10's fromisoformat takes exactly 3 or 6 fraction digits.
        text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
        text = text.replace(" ", "T", 1) if "T" not in text else text
        parsed = dt.datetime.fromisoformat(text)
    else:
        raise TypeError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


converter.register_structure_hook(dt.datetime, lambda value, _: parse_datetime(value))
converter.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())
converter.register_structure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, OpenStrEnum),
    lambda value, cls: cls(value),
)
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda value: value.value
)


def _structure_result_types(value: Any, _: Any) -> list[ResultType]:
    """Result types from either shape; duplicates (the zip and the viewer entry) folded."""
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
    does (a listing of 10,000 orders structures 130,000 optional fields)."""
    inner = next(arg for arg in typing.get_args(cls) if arg is not type(None))
    hook = converter.get_structure_hook(inner)

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


def _null_as_empty_list(value: Any, cls: Any) -> list[Any]:
    if value is None:
        return []
    item_type = getattr(cls, "__args__", (Any,))[0]
    return [converter.structure(item, item_type) for item in value]


converter.register_structure_hook_func(
    lambda cls: getattr(cls, "__origin__", None) is list, _null_as_empty_list
)
converter.register_structure_hook_factory(_is_optional, _optional_hook)

# Per model: the hook cattrs generates for its known fields, and the names of those fields.
_BASE_HOOKS: dict[type, Any] = {}
_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _structure_with_extra(data: Any, cls: type[T]) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    names = _FIELD_NAMES[cls]
    known = {key: value for key, value in data.items() if key in names and key != "extra"}
    known["extra"] = {key: value for key, value in data.items() if key not in names}
    structured: T = _BASE_HOOKS[cls](known, cls)
    return structured


def _register(model: type[Any], hook: Any = _structure_with_extra, **overrides: Any) -> None:
    _FIELD_NAMES[model] = frozenset(field.name for field in attrs.fields(model))
    _BASE_HOOKS[model] = make_dict_structure_fn(model, converter, **overrides)
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


def structure(data: Any, cls: type[T]) -> T:
    """Build a model (or a list of them, with ``list[Model]``) from decoded JSON."""
    return converter.structure(data, cls)


def unstructure(obj: Any) -> Any:
    """Plain JSON-ready data from a model (datetimes as ISO text, enums as their values)."""
    return converter.unstructure(obj)
