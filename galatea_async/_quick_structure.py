"""One generated function per model that loads the usual answer without a call per field.

A listing of 10,000 orders structures 200,000 fields; most hold exactly the documented plain
type (text, an integer, a boolean) or null. The generated function takes those as they are
with a class check, and an optional enum's value spelled exactly as a member as that member
(a dictionary look-up); it calls the field's converter hook only for anything else (a
timestamp, a list, an integer where text belongs, an enum's other spellings...), so every
value the converter would change or refuse still goes through it. It then calls the model's
own ``__init__`` with positional arguments, or, for a slotted model whose ``__init__`` only
stores its arguments (no validator, converter or init hook), stores them in the slots itself:
attrs' frozen ``__init__`` calls ``object.__setattr__`` through a bound method for each field,
which is about 40% of loading an order. cattrs' generated function, by comparison, calls a
hook for every field and builds a keyword dictionary for ``__init__``.

The result is the same model cattrs' function makes: a missing required field raises
``KeyError`` and a misfit raises the hook's own error, and ``FieldsLoader`` then asks cattrs'
detailed function, which names the field.
"""

from __future__ import annotations

import enum
import linecache
import math
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

__all__ = ["FieldsLoader", "field_hooks", "make_quick_structure"]

T = TypeVar("T")

# Fields of these types whose JSON value has exactly this class need no hook (a float also
# has to be finite: Python's JSON reads NaN and Infinity, which the float hook refuses).
_PLAIN = (str, int, bool, float)


def _optional_plain(field_type: Any) -> type | None:
    """``X`` for a field typed ``X | None`` with ``X`` plain, else ``None``."""
    args = getattr(field_type, "__args__", ())
    if len(args) == 2 and type(None) in args:
        inner = next(arg for arg in args if arg is not type(None))
        if inner in _PLAIN:
            return inner  # type: ignore[no-any-return]
    return None


def _optional_enum(field_type: Any) -> type[enum.Enum] | None:
    """``X`` for a field typed ``X | None`` with ``X`` an enum, else ``None``."""
    args = getattr(field_type, "__args__", ())
    if len(args) == 2 and type(None) in args:
        inner = next(arg for arg in args if arg is not type(None))
        if isinstance(inner, type) and issubclass(inner, enum.Enum):
            return inner
    return None


def _field_lines(index: int, field: attrs.Attribute[Any]) -> list[str]:
    """The lines that put the value of ``field`` in ``v{index}``."""
    key, value, hook, kind = repr(field.name), f"v{index}", f"hook{index}", f"type{index}"
    if _optional_enum(field.type) is not None and field.default is None:
        # A value spelled exactly as a member is that member (what the hook would make of
        # it); anything else goes through the hook.
        return [
            f"  {value} = o.get({key})",
            f"  if {value} is not None:",
            f"    member = members{index}.get({value}) if {value}.__class__ is str else None",
            f"    {value} = {hook}({value}, {kind}) if member is None else member",
        ]
    plain = _optional_plain(field.type) or field.type
    needs_hook = f"{value}.__class__ is not plain{index}"
    if plain is float:
        needs_hook = f"({needs_hook} or not isfinite({value}))"
    if _optional_plain(field.type) is not None and field.default is None:
        return [
            f"  {value} = o.get({key})",
            f"  if {value} is not None and {needs_hook}:",
            f"    {value} = {hook}({value}, {kind})",
        ]
    if field.type in _PLAIN and field.default is attrs.NOTHING:
        return [
            f"  {value} = o[{key}]",
            f"  if {needs_hook}:",
            f"    {value} = {hook}({value}, {kind})",
        ]
    if field.default is attrs.NOTHING:
        return [f"  {value} = {hook}(o[{key}], {kind})"]
    factory = isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
    missing = f"default{index}()" if factory else f"default{index}"
    return [f"  {value} = {hook}(o[{key}], {kind}) if {key} in o else {missing}"]


def make_quick_structure(
    model: type[Any], hooks: Mapping[str, Callable[[Any, Any], Any]]
) -> Callable[[Mapping[str, Any], Any], Any]:
    """The function ``(data, cls) -> model`` for an attrs ``model``, with ``hooks`` giving the
    converter's structure hook of each field by name."""
    fields = attrs.fields(attrs.resolve_types(model))
    namespace: dict[str, Any] = {"cls": model, "isfinite": math.isfinite}
    lines = [f"def quick_{model.__name__}(o, _):"]
    arguments = []
    for index, field in enumerate(fields):
        if not field.init:
            continue
        default = field.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            raise TypeError(f"{model.__name__}.{field.name}: a default that takes self")
        namespace[f"hook{index}"] = hooks[field.name]
        namespace[f"type{index}"] = field.type
        namespace[f"plain{index}"] = _optional_plain(field.type) or field.type
        members = _optional_enum(field.type)
        namespace[f"members{index}"] = members._value2member_map_ if members else None
        namespace[f"default{index}"] = (
            default.factory if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
        )
        lines += _field_lines(index, field)
        arguments.append(f"{field.alias}=v{index}" if field.kw_only else f"v{index}")
    slots = _slot_setters(model, fields)
    if slots is None:
        lines.append(f"  return cls({', '.join(arguments)})")
    else:
        namespace["new"] = object.__new__
        namespace.update({f"set{index}": setter for index, setter in enumerate(slots)})
        lines.append("  made = new(cls)")
        lines += [f"  set{index}(made, v{index})" for index in range(len(slots))]
        lines.append("  return made")
    source = "\n".join(lines) + "\n"
    filename = f"<galatea_async quick structure {model.__module__}.{model.__qualname__}>"
    # Registered with linecache so that a traceback through it shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    function: Callable[[Mapping[str, Any], Any], Any] = namespace[f"quick_{model.__name__}"]
    return function


def _slot_setters(
    model: type[Any], fields: tuple[attrs.Attribute[Any], ...]
) -> list[Callable[[Any, Any], None]] | None:
    """Each field's slot setter, in field order, when storing the values in the slots makes
    the same object as ``model(...)``; ``None`` when ``__init__`` does more than store them."""
    if hasattr(model, "__attrs_pre_init__") or hasattr(model, "__attrs_post_init__"):
        return None
    if "_attrs_cached_hash" in getattr(model, "__slots__", ()):
        return None
    setters = []
    for field in fields:
        if not field.init or field.validator is not None or field.converter is not None:
            return None
        owner = next((klass for klass in model.__mro__ if field.name in vars(klass)), object)
        slot = vars(owner).get(field.name)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        setters.append(slot.__set__)
    return setters


def field_hooks(
    model: type[Any], converter: cattrs.Converter, overrides: Mapping[str, Any]
) -> dict[str, Callable[[Any, Any], Any]]:
    """Each field's structure hook by name: its override's, else the converter's."""
    hooks = {}
    for field in attrs.fields(attrs.resolve_types(model)):
        override_hook = getattr(overrides.get(field.name), "struct_hook", None)
        hooks[field.name] = override_hook or converter.get_structure_hook(field.type)
    return hooks


class FieldsLoader:
    """A model from a dict of its fields: the quick function, and on any error cattrs'
    detailed one, which raises the error that names every misfit field.

    The quick one stops at the first error without saying where; the detailed one costs a
    ``try`` and a note per field, on every item of a listing: it only runs to explain. Each
    is generated when first needed, which keeps them out of ``import galatea_async``.
    """

    __slots__ = ("_converter", "_detailed", "_model", "_overrides", "_quick")

    def __init__(
        self, model: type[Any], converter: cattrs.Converter, overrides: Mapping[str, Any]
    ) -> None:
        self._model = model
        self._converter = converter
        self._overrides = overrides
        self._quick: Callable[[Any, Any], Any] | None = None
        self._detailed: Callable[[Any, Any], Any] | None = None

    def quick(self) -> Callable[[Any, Any], Any]:
        """The quick function: the model, or any exception when a field does not fit."""
        if self._quick is None:
            hooks = field_hooks(self._model, self._converter, self._overrides)
            self._quick = make_quick_structure(self._model, hooks)
        return self._quick

    def structure(self, data: Any, cls: type[T]) -> T:
        """The model (the converter's hook of its known fields)."""
        try:
            structured: T = (self._quick or self.quick())(data, cls)
        except Exception:
            if self._detailed is None:
                self._detailed = make_dict_structure_fn(
                    self._model,
                    self._converter,
                    _cattrs_detailed_validation=True,
                    **self._overrides,
                )
            structured = self._detailed(data, cls)
        return structured
