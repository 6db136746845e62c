"""The one request path: every API call and every download goes through ``Requester``.

Here, and only here, requests get their credentials (through the client's ``httpx.Auth``),
are retried under the client's ``RetryPolicy`` and shared ``RetryBudget``, are bounded by a
deadline, are logged (method, path template, status, duration, attempt; never bodies, query
strings or headers), and have their error statuses turned into ``APIError`` subclasses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import anyio
import attrs
import httpx

from galatea_async._responses import decode_json, error_for_status
from galatea_async._retry import (
    FailureKind,
    RetryBudget,
    RetryPolicy,
    backoff_delay,
    classify_exception,
    retry_decision,
)
from galatea_async._wire import HttpxWireResponse, WireResponse
from galatea_async.errors import APIConnectionError, APIError, APITimeoutError, InvalidResponseError

__all__ = ["RequestOptions", "Requester"]

logger = logging.getLogger("galatea_async")

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
DEFAULT_DEADLINE = 300.0
# A JSON answer larger than this is not one the API sends; refuse it instead of buffering it.
MAX_JSON_BYTES = 64 << 20
_MAX_ERROR_BODY_BYTES = 1 << 20


@attrs.frozen
class RequestOptions:
    """Per-client (or per ``with_options``) settings of the request path."""

    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()
    # Seconds a whole API call may take, retries and waits included; None for no limit.
    deadline: float | None = DEFAULT_DEADLINE


class ReplayableBody(Protocol):
    """A request body that can be sent again from the start (after a 401 or a retry)."""

    def headers(self) -> Mapping[str, str]:
        """Content-Type and Content-Length of the body."""
        ...

    def stream(self) -> httpx.AsyncByteStream:
        """A new stream over the whole body."""
        ...


@attrs.frozen
class _Call:
    """One API call as the request path sees it."""

    method: str
    url: httpx.URL
    log_path: str  # the path template: logs never show ids' values or query strings
    # A login's JSON holds the password and a token request's headers a token: out of repr.
    json: Any = attrs.field(default=None, repr=False)
    body: ReplayableBody | None = attrs.field(default=None, repr=False)
    headers: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    idempotent: bool | None = None
    authenticated: bool = True
    follow_redirects: bool = False


def _query_value(value: Any) -> str:
    # As httpx spells them: booleans in lower case.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _deadline_error(method: str, path: str, deadline: float) -> APITimeoutError:
    return APITimeoutError(
        f"{method} {path}: no complete answer within the {deadline:g} s deadline "
        "(set it with AsyncGalatea(deadline=...) or client.with_options(deadline=...))"
    )


def _connection_error(exc: httpx.TransportError, method: str, template: str) -> APIConnectionError:
    name = type(exc).__name__
    detail = str(exc).split("\n", 1)[0] or name
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{method} {template}: timed out ({name}: {detail})")
    return APIConnectionError(
        f"{method} {template}: the API could not be reached ({name}: {detail})"
    )


async def _read_limited(response: httpx.Response, limit: int) -> bytes | None:
    """The decoded body, or ``None`` once it grows past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Requester:
    """Sends API requests for one client; shares its retry budget with every copy of it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_root: httpx.URL,
        auth: httpx.Auth,
        options: RequestOptions,
        budget: RetryBudget,
    ) -> None:
        self.http = http
        self.api_root = api_root
        self._root_text = str(api_root)
        self.auth = auth
        self.options = options
        self.budget = budget

    def with_options(self, options: RequestOptions) -> Requester:
        """A requester sharing everything but ``options``."""
        return Requester(
            self.http, api_root=self.api_root, auth=self.auth, options=options, budget=self.budget
        )

    def url(
        self,
        template: str,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.URL:
        """The absolute URL of an API path template: path parameters percent-encoded, query
        parameters that are not ``None`` appended."""
        path = template.format_map(
            {key: quote(value, safe="") for key, value in (path_params or {}).items()}
        )
        query = urlencode({k: _query_value(v) for k, v in (params or {}).items() if v is not None})
        # Concatenation, not URL.join, and the query in the same text: the URL is parsed once,
        # where join and a params merge would parse it three times on every request.
        return httpx.URL(self._root_text + path + (f"?{query}" if query else ""))

    def _origin_path(self, template: str) -> str:
        return f"/{self.api_root.path.strip('/')}/{template}".replace("//", "/")

    async def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: ReplayableBody | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send an API call and return its decoded JSON (``None`` for an empty body).

        The client's deadline bounds the whole call: retries, waits and reading the body.
        """
        call = _Call(
            method=method,
            url=self.url(template, path_params, params),
            log_path=self._origin_path(template),
            json=json,
            body=body,
            headers=headers,
            idempotent=idempotent,
            authenticated=authenticated,
            follow_redirects=False,
        )
        deadline = self.options.deadline
        path = call.url.path
        with anyio.move_on_after(deadline) as scope:
            response = await self._send(call)
            try:
                content = await _read_limited(response, MAX_JSON_BYTES)
                if content is None:
                    raise InvalidResponseError(
                        f"the JSON body is larger than {MAX_JSON_BYTES >> 20} MiB",
                        status_code=response.status_code,
                        method=method,
                        path=path,
                    )
            finally:
                with anyio.CancelScope(shield=True):
                    await response.aclose()
            return decode_json(
                content,
                status_code=response.status_code,
                content_type=response.headers.get("content-type"),
                method=method,
                path=path,
            )
        assert scope.cancelled_caught
        assert deadline is not None
        raise _deadline_error(method, path, deadline)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        target: str | httpx.URL,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> AsyncIterator[WireResponse]:
        """Open a streaming response (2xx); the deadline bounds only the wait for its headers.

        A body may take as long as it takes (a 4 GiB result does); the read timeout still
        catches a server that stops sending.
        """
        call = _Call(
            method=method,
            url=self.url(target, path_params, params)
            if isinstance(target, str)
            else target.copy_merge_params(
                {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
            ),
            log_path=self._origin_path(target) if isinstance(target, str) else target.path,
            headers=headers,
            follow_redirects=follow_redirects,
        )
        deadline = self.options.deadline
        try:
            with anyio.fail_after(deadline):
                response = await self._send(call)
        except TimeoutError:
            assert deadline is not None
            raise _deadline_error(method, call.url.path, deadline) from None
        wire = HttpxWireResponse(response)
        try:
            yield wire
        finally:
            await wire.aclose()

    def _build(self, call: _Call) -> httpx.Request:
        request = self.http.build_request(
            call.method,
            call.url,
            json=call.json,
            headers=call.headers,
            timeout=self.options.timeout,
        )
        if call.body is None:
            return request
        # A fresh body stream each attempt, so an upload can be replayed.
        headers = httpx.Headers(request.headers)
        headers.update(call.body.headers())  # replaces the empty body's Content-Length
        return httpx.Request(
            call.method,
            request.url,
            headers=headers,
            stream=call.body.stream(),
            extensions=request.extensions,
        )

    async def _send(self, call: _Call) -> httpx.Response:
        """The first 2xx response (open), after retries; raises the mapped error otherwise."""
        policy = self.options.retry
        attempt = 0
        last_tokens: int | None = None
        while True:
            request = self._build(call)
            started = time.monotonic()
            try:
                response = await self.http.send(
                    request,
                    auth=self.auth if call.authenticated else None,
                    stream=True,
                    follow_redirects=call.follow_redirects,
                )
            except httpx.TransportError as exc:
                failure = classify_exception(exc)
                logger.debug(
                    "%s %s failed after %.3fs (attempt %d): %s",
                    call.method, call.log_path, time.monotonic() - started, attempt + 1,
                    type(exc).__name__,
                )  # fmt: skip
                retry = failure is not None and retry_decision(
                    method=call.method, idempotent=call.idempotent, attempt=attempt,
                    policy=policy, failure=failure,
                )  # fmt: skip
                tokens = self.budget.try_acquire(failure) if retry else None
                if tokens is None:
                    raise _connection_error(exc, call.method, call.url.path) from exc
                await anyio.sleep(backoff_delay(attempt, policy))
                attempt, last_tokens = attempt + 1, tokens
                continue
            status = response.status_code
            logger.debug(
                "%s %s -> %d in %.3fs (attempt %d)",
                call.method, call.log_path, status, time.monotonic() - started, attempt + 1,
            )  # fmt: skip
            if status < 300:
                self.budget.record_success(last_tokens)
                return response
            error = await self._error_from(response, call.method, call.url.path)
            retry = retry_decision(
                method=call.method, idempotent=call.idempotent, attempt=attempt, policy=policy,
                status=status,
            )  # fmt: skip
            tokens = self.budget.try_acquire(FailureKind.STATUS) if retry else None
            if tokens is None:
                raise error
            await anyio.sleep(backoff_delay(attempt, policy, retry_after=error.retry_after))
            attempt, last_tokens = attempt + 1, tokens

    async def _error_from(self, response: httpx.Response, method: str, path: str) -> APIError:
        try:
            content = await _read_limited(response, _MAX_ERROR_BODY_BYTES) or b""
        except httpx.TransportError:
            content = b""
        finally:
            await response.aclose()
        return error_for_status(
            status_code=response.status_code,
            content=content,
            headers={key.lower(): value for key, value in response.headers.items()},
            method=method,
            path=path,
        )
