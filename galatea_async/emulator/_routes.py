"""Routes for auth, users, organizations, tags and orders."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from galatea_async.emulator import _lifecycle
from galatea_async.emulator._faults import FaultInjector
from galatea_async.emulator._http import ApiProblem, empty, json_body, page, user_of
from galatea_async.emulator._queries import order_query, order_submission, texts_of, truthy
from galatea_async.emulator._shapes import order_json, tag_json, user_json
from galatea_async.emulator._state import State

__all__ = ["CoreRoutes"]


def _required_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise ApiProblem(400, f"{field}: This field is required.")
    return value


class CoreRoutes:
    """The handlers (relative to ``/api/v1``) that do not move file contents."""

    def __init__(self, state: State, faults: FaultInjector) -> None:
        self.state = state
        self.faults = faults

    def routes(self) -> list[Route]:
        """The routes, relative to ``/api/v1``."""
        return [
            Route("/users/auth", self.auth, methods=["POST"]),
            Route("/users/refresh", self.refresh, methods=["POST"]),
            Route("/users/logout", self.logout, methods=["POST"]),
            Route("/users/me", self.me, methods=["GET"]),
            Route("/organizations/{org_id}/models", self.models, methods=["GET"]),
            Route("/exec/tags", self.tags, methods=["GET", "POST"]),
            Route("/exec/tags/{tag_id}", self.tag, methods=["GET", "PUT", "DELETE"]),
            Route("/exec/orders", self.orders, methods=["GET", "POST"]),
            Route("/exec/orders/{order_id}", self.order, methods=["PATCH"]),
            Route("/exec/cancel", self.cancel, methods=["POST"]),
        ]

    async def auth(self, request: Request) -> Response:
        body = await json_body(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise ApiProblem(400, "email and password are required")
        return JSONResponse(self.state.accounts.login(email, password))

    async def refresh(self, request: Request) -> Response:
        token = _required_text(await json_body(request), "refresh")
        return JSONResponse(self.state.accounts.refresh(token))

    async def logout(self, request: Request) -> Response:
        self.state.accounts.logout(_required_text(await json_body(request), "refresh"))
        return empty(200)

    async def me(self, request: Request) -> Response:
        return JSONResponse(user_json(self.state, user_of(self.state.accounts, request)))

    async def models(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        if request.path_params["org_id"] != self.state.org.id:
            raise ApiProblem(404, "Not found.")
        hide = truthy(request.query_params.get("hide_deprecated"), True)
        names = [n for n, v in _lifecycle.MODELS.items() if not (hide and v[1])]
        return JSONResponse([_lifecycle.model_json(n) for n in names])

    async def tags(self, request: Request) -> Response:
        state = self.state
        user_of(state.accounts, request)
        if request.method == "POST":
            name = (await json_body(request)).get("name")
            tag = state.add_tag(name if isinstance(name, str) else "")
            return JSONResponse(tag_json(state, tag), status_code=201)
        found = list(state.tags.values())
        name = request.query_params.get("name")
        if name:
            found = [t for t in found if name.casefold() in t.name.casefold()]
        return page(request, self.faults, found, lambda t: tag_json(state, t))

    async def tag(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        record = self.state.live_tag(request.path_params["tag_id"])
        if request.method == "PUT":
            name = (await json_body(request)).get("name")
            self.state.rename_tag(record, name if isinstance(name, str) else "")
        elif request.method == "DELETE":
            self.state.delete_tag(record)
            return empty(200)
        return JSONResponse(tag_json(self.state, record))

    async def orders(self, request: Request) -> Response:
        state = self.state
        user = user_of(state.accounts, request)
        if request.method == "POST":
            order = state.submit_order(order_submission(await json_body(request)), user.email)
            # The reference answers a submit with a list holding the new order.
            return JSONResponse([order_json(state, order, shape="submit")], status_code=201)
        # One instant for the whole page: every order's status is read at the same time.
        now = state.clock.now()
        found = state.list_orders(order_query(request.query_params), now)
        return page(request, self.faults, found, lambda o: order_json(state, o, now=now))

    async def order(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        record = self.state.live_order(request.path_params["order_id"])
        body = await json_body(request)
        if "tags_ids" in body or "tag_ids" in body:
            raw = body.get("tags_ids", body.get("tag_ids")) or []
            if not isinstance(raw, list):
                raise ApiProblem(400, "tags_ids: expected a list of tag ids")
            self.state.set_order_tags(record, texts_of(raw))
        return JSONResponse(order_json(self.state, record, shape="patch"))

    async def cancel(self, request: Request) -> Response:
        user_of(self.state.accounts, request)
        order_id = (await json_body(request)).get("order_id")
        if not isinstance(order_id, str):
            raise ApiProblem(404, "Not found.")
        self.state.cancel_order(self.state.live_order(order_id))
        return JSONResponse({"details": f"Request to cancel execution id {order_id} accepted"})
