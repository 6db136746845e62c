"""Request helpers shared by the route modules: error answers, auth, JSON bodies, pages."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from galatea_async.emulator._accounts import Accounts
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._records import UserRecord

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ApiProblem",
    "empty",
    "json_body",
    "page",
    "user_of",
]

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
_T = TypeVar("_T")


class ApiProblem(Exception):
    """An error answer: ``{"detail": detail}`` with ``status_code``."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def user_of(accounts: Accounts, request: Request) -> UserRecord:
    """The caller, from ``Authorization: Bearer <API key or access token>``; else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiProblem(401, "Authentication credentials were not provided.")
    user = accounts.user_for_token(token.strip()) if scheme.casefold() == "bearer" else None
    if user is None:
        raise ApiProblem(401, "Given token not valid for any token type")
    return user


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 when it is not one."""
    try:
        body = await request.json()
    except ValueError:
        raise ApiProblem(400, "JSON parse error - request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "Invalid data. Expected a JSON object.")
    return body


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiProblem(400, f"{name}: a positive integer is required") from None
    if value < 1:
        raise ApiProblem(400, f"{name}: a positive integer is required")
    return value


def page(
    request: Request,
    faults: FaultInjector,
    items: Sequence[_T],
    render: Callable[[_T], dict[str, Any]],
) -> JSONResponse:
    """One ``{count, next, previous, results}`` page of ``items`` for the request."""
    number = _positive_int(request, "page", 1)
    size = min(_positive_int(request, "page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    pages = max(math.ceil(len(items) / size), 1)
    if number > pages:
        raise ApiProblem(404, "Invalid page.")
    origin = faults.page_origin or f"{request.url.scheme}://{request.url.netloc}"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def link(target: int) -> str:
        return f"{origin}{request.url.path}?{urlencode([*kept, ('page', str(target))])}"

    window = items[(number - 1) * size : number * size]
    return JSONResponse(
        {
            "count": len(items),
            "next": link(number + 1) if number < pages else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": [render(item) for item in window],
        }
    )


def empty(status_code: int = 200) -> Response:
    """An answer with no body."""
    return Response(status_code=status_code)
