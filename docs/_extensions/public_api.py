"""A griffe extension: the reference shows what a caller uses, not how the package is built.

- A private base class (``_JsonModel``) is left out of "Bases".
- A private type in a parameter's union (``_NotGiven``, the marker of an option left as it is)
  is left out of the annotation: the caller passes a value or leaves the argument out.
- A method made with ``contextlib.asynccontextmanager`` shows as what the caller gets, an async
  context manager (``async with``), instead of the async generator written in the source.
- An attrs class gets the ``__init__`` attrs writes for it (griffe reads source, where there is
  none), so its signature and its docstring's ``:param`` lines show each field's type and
  default, read from the class itself.
"""

from __future__ import annotations

from typing import Any

import attrs
from griffe import (
    Attribute,
    Class,
    Expr,
    ExprBinOp,
    ExprSubscript,
    ExprTuple,
    Extension,
    Function,
    Parameter,
    ParameterKind,
    Parameters,
    dynamic_import,
)

_ASYNC_CONTEXT_MANAGERS = frozenset({"contextlib.asynccontextmanager", "asynccontextmanager"})
_ASYNC_CONTEXT_MANAGER_LABEL = "async-context-manager"


def _last_name(expression: str | Expr) -> str:
    return str(expression).rsplit(".", 1)[-1]


def _is_private(expression: str | Expr) -> bool:
    return _last_name(expression).startswith("_")


def _union_members(annotation: str | Expr) -> list[str | Expr]:
    if isinstance(annotation, ExprBinOp) and annotation.operator == "|":
        return [*_union_members(annotation.left), *_union_members(annotation.right)]
    return [annotation]


def _union(members: list[str | Expr]) -> str | Expr:
    joined = members[0]
    for member in members[1:]:
        joined = ExprBinOp(joined, "|", member)
    return joined


def without_private_types(annotation: str | Expr) -> str | Expr:
    """``annotation`` with the private members of its union taken out."""
    members = _union_members(annotation)
    public = [member for member in members if not _is_private(member)]
    if not public or len(public) == len(members):
        return annotation
    return _union(public)


def _default_text(field: attrs.Attribute[Any]) -> str | None:
    """The default as the caller sees it: a value, or what its factory makes."""
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return "..."
        return repr(default.factory())
    return repr(default)


def attrs_init(cls: Class, runtime_class: type) -> Function:
    """The ``__init__`` attrs generates for ``runtime_class``, as griffe's ``Function``."""
    parameters = [Parameter("self", kind=ParameterKind.positional_or_keyword)]
    for field in attrs.fields(runtime_class):
        if not field.init:
            continue
        member = cls.members.get(field.name)
        parameters.append(
            Parameter(
                field.alias or field.name,
                annotation=member.annotation if isinstance(member, Attribute) else None,
                kind=ParameterKind.keyword_only
                if field.kw_only
                else ParameterKind.positional_or_keyword,
                default=_default_text(field),
            )
        )
    return Function(
        "__init__", lineno=0, endlineno=0, parent=cls, parameters=Parameters(*parameters)
    )


class PublicApi(Extension):
    """Hides private bases and marker types; shows async context managers and attrs classes."""

    def on_class(self, *, cls: Class, **kwargs: Any) -> None:
        cls.bases = [base for base in cls.bases if not _is_private(base)]
        if "__init__" not in cls.members and any(
            decorator.callable_path.startswith(("attrs.", "attr.")) for decorator in cls.decorators
        ):
            runtime_class = dynamic_import(cls.path)
            if attrs.has(runtime_class):
                cls.set_member("__init__", attrs_init(cls, runtime_class))

    def on_function(self, *, func: Function, **kwargs: Any) -> None:
        for parameter in func.parameters:
            if parameter.annotation is not None:
                parameter.annotation = without_private_types(parameter.annotation)
        decorators = {decorator.callable_path for decorator in func.decorators}
        if decorators & _ASYNC_CONTEXT_MANAGERS:
            func.labels.discard("async")
            func.labels.add(_ASYNC_CONTEXT_MANAGER_LABEL)
            returns = func.returns
            # AsyncIterator[T] / AsyncGenerator[T, None] in the source: the caller gets T.
            if isinstance(returns, ExprSubscript):
                yielded = returns.slice
                if isinstance(yielded, ExprTuple) and yielded.elements:
                    yielded = yielded.elements[0]
                func.returns = ExprSubscript("AbstractAsyncContextManager", yielded)
