"""Routes for auth, users, organizations, tags and orders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from galatea_async.emulator import _lifecycle
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._http import empty, json_body, page, user_of
from galatea_async.emulator._records import ApiProblem
from galatea_async.emulator._shapes import order_json, tag_json, user_json
from galatea_async.emulator._state import State

__all__ = ["core_routes"]


def _truthy(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().casefold() in ("1", "true", "yes", "on")


def _tag_ids(request: Request) -> list[str]:
    """Tag ids from ``tag_ids`` or ``tags_ids``: comma separated, or repeated."""
    found: list[str] = []
    for key in ("tag_ids", "tags_ids"):
        for raw in request.query_params.getlist(key):
            found.extend(part.strip() for part in raw.split(",") if part.strip())
    return found


def core_routes(state: State, faults: FaultInjector) -> list[Route]:
    """The routes (relative to ``/api/v1``) that do not move file contents."""

    async def auth(request: Request) -> Response:
        body = await json_body(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise ApiProblem(400, "email and password are required")
        return JSONResponse(state.login(email, password))

    async def refresh(request: Request) -> Response:
        body = await json_body(request)
        token = body.get("refresh")
        if not isinstance(token, str) or not token:
            raise ApiProblem(400, "refresh: This field is required.")
        return JSONResponse(state.refresh(token))

    async def logout(request: Request) -> Response:
        body = await json_body(request)
        token = body.get("refresh")
        if not isinstance(token, str) or not token:
            raise ApiProblem(400, "refresh: This field is required.")
        state.logout(token)
        return empty(200)

    async def me(request: Request) -> Response:
        return JSONResponse(user_json(state, user_of(state, request)))

    async def models(request: Request) -> Response:
        user_of(state, request)
        if request.path_params["org_id"] != state.org.id:
            raise ApiProblem(404, "Not found.")
        hide = _truthy(request.query_params.get("hide_deprecated"), True)
        names = [n for n, v in _lifecycle.MODELS.items() if not (hide and v[1])]
        return JSONResponse([_lifecycle.model_json(n) for n in names])

    async def tags(request: Request) -> Response:
        user_of(state, request)
        if request.method == "POST":
            body = await json_body(request)
            name = body.get("name")
            tag = state.add_tag(name if isinstance(name, str) else "")
            return JSONResponse(tag_json(state, tag), status_code=201)
        found = list(state.tags.values())
        name = request.query_params.get("name")
        if name:
            found = [t for t in found if name.casefold() in t.name.casefold()]
        return page(request, faults, found, lambda t: tag_json(state, t))

    async def tag(request: Request) -> Response:
        user_of(state, request)
        record = state.live_tag(request.path_params["tag_id"])
        if request.method == "PUT":
            body = await json_body(request)
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ApiProblem(400, "name: This field may not be blank.")
            record.name = name
        elif request.method == "DELETE":
            del state.tags[record.id]
            for order in state.orders.values():
                if record.id in order.tag_ids:
                    order.tag_ids.remove(record.id)
            return empty(200)
        return JSONResponse(tag_json(state, record))

    async def orders(request: Request) -> Response:
        user = user_of(state, request)
        if request.method == "POST":
            order = state.submit_order(await json_body(request), user.email)
            # The reference answers a submit with a list holding the new order.
            return JSONResponse([order_json(state, order, shape="submit")], status_code=201)
        # One instant for the whole page: every order's status is read at the same time.
        now = state.clock.now()
        found = state.list_orders(dict(request.query_params), _tag_ids(request), now)
        return page(request, faults, found, lambda o: order_json(state, o, now=now))

    async def order(request: Request) -> Response:
        user_of(state, request)
        record = state.live_order(request.path_params["order_id"])
        body = await json_body(request)
        if "tags_ids" in body or "tag_ids" in body:
            raw = body.get("tags_ids", body.get("tag_ids")) or []
            if not isinstance(raw, list):
                raise ApiProblem(400, "tags_ids: expected a list of tag ids")
            record.tag_ids = state.check_tags(raw)
        return JSONResponse(order_json(state, record, shape="patch"))

    async def cancel(request: Request) -> Response:
        user_of(state, request)
        body = await json_body(request)
        order_id = body.get("order_id")
        if not isinstance(order_id, str) or order_id not in state.orders:
            raise ApiProblem(404, "Not found.")
        state.cancel_order(state.orders[order_id])
        return JSONResponse({"details": f"Request to cancel execution id {order_id} accepted"})

    return [
        Route("/users/auth", auth, methods=["POST"]),
        Route("/users/refresh", refresh, methods=["POST"]),
        Route("/users/logout", logout, methods=["POST"]),
        Route("/users/me", me, methods=["GET"]),
        Route("/organizations/{org_id}/models", models, methods=["GET"]),
        Route("/exec/tags", tags, methods=["GET", "POST"]),
        Route("/exec/tags/{tag_id}", tag, methods=["GET", "PUT", "DELETE"]),
        Route("/exec/orders", orders, methods=["GET", "POST"]),
        Route("/exec/orders/{order_id}", order, methods=["PATCH"]),
        Route("/exec/cancel", cancel, methods=["POST"]),
    ]
