"""The emulator's ASGI app: the API under ``/api/v1``, control endpoints under ``/_emulator``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from galatea_async.emulator._control import Controlled, ControlRoutes
from galatea_async.emulator._downloads import DownloadCounter
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._http import ApiProblem
from galatea_async.emulator._middleware import EmulatorMiddleware, RequestRecord
from galatea_async.emulator._routes import CoreRoutes
from galatea_async.emulator._routes_data import DataRoutes
from galatea_async.emulator._state import State
from galatea_async.emulator._store_errors import (
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    StoreError,
)

__all__ = ["build_app"]

# The answer to each refusal of the store.
_STORE_ERROR_STATUS: dict[type[StoreError], int] = {
    NotAuthenticated: 401,
    InvalidRequest: 400,
    NotFound: 404,
}


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    return JSONResponse({"detail": exc.detail}, status_code=_STORE_ERROR_STATUS[type(exc)])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        detail = "Not found."
    elif exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
    else:
        detail = str(exc.detail)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def build_app(
    state: State,
    faults: FaultInjector,
    *,
    log: list[RequestRecord],
    counter: DownloadCounter,
    accept_ranges: list[bool],
    controls: Controlled,
) -> ASGIApp:
    """The whole emulator as one ASGI app."""
    api = [
        *CoreRoutes(state, faults).routes(),
        *DataRoutes(state, faults, counter, accept_ranges).routes(),
    ]
    app = Starlette(
        routes=[
            Mount("/api/v1", routes=api),
            Mount("/_emulator", routes=ControlRoutes(controls).routes()),
        ],
        exception_handlers={
            ApiProblem: _problem,
            StoreError: _store_error,
            HTTPException: _http_error,
        },
    )
    return EmulatorMiddleware(app, faults=faults, log=log)
