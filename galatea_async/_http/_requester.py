"""The one request path: every API call and every download goes through ``Requester``.

Here, and only here, requests get their credentials (``CredentialsAuth``: the token, and one
renewal after a 401), are retried under the client's ``RetryPolicy`` and shared
``RetryBudget``, follow redirects (downloads only, ``_redirects.py``: at most 5, credentials
never to another origin), are bounded by a deadline, are logged (method, path template,
status, duration, attempt; never bodies, query strings or headers), are traced
(``_tracing.py``), and have their error statuses turned into ``APIError`` subclasses.

Calls are built by ``ApiRoot`` (``_calls.py``), one factory for each kind of target; each is
sent by ``_attempts.run_attempts``, which asks the pure decisions of ``_attempt_decisions.py``
what follows an attempt. Two ways out, one set of decisions (``Requester._attempts``):

- A bodiless request (every download, and API calls without a JSON body) goes straight onto
  the aiohttp session of the client's own ``AiohttpTransport`` (``AiohttpTransport.open``: no
  httpx object per request), under asyncio's own timer for the deadline, while the client
  holds no cookie: a cookie a direct answer sets is kept in the client's jar, and the
  requests after it go through httpx, which sends it back.
- Anything else (a JSON or upload body, any other transport, a user's ``http_client``) goes
  through ``httpx.AsyncClient.send``, under an anyio cancel scope (trio too).

Either way the answer is a ``WireResponse`` (``_wire.py``): an API call's body is read inside
the attempt (a cut or stalled body is retried like any transport failure) and decoded here,
under a cap on decoded bytes (``_decoding.py``); a download's is handed to the engine open.
"""

from __future__ import annotations

import asyncio
import copy
import sys
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, TypeVar

import anyio
import httpx

from galatea_async._http._attempts import AttemptRules, Finish, read_decoded, run_attempts
from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._calls import ApiRoot, Call, ReplayableBody
from galatea_async._http._decoding import BodyTooLarge, ContentDecodingError
from galatea_async._http._logging import values_being_sent
from galatea_async._http._network import DIRECT, NetworkSettings
from galatea_async._http._redact import field_values
from galatea_async._http._redirects import RedirectRefused
from galatea_async._http._request_options import RequestOptions, deadline_error
from galatea_async._http._responses import decode_json
from galatea_async._http._retry import RetryBudget
from galatea_async._http._tracing import NO_SPAN, CallSpan, Tracing
from galatea_async._http._transport import AiohttpTransport
from galatea_async._http._wire import HttpxWireResponse, WireResponse
from galatea_async.errors import GalateaError, InvalidResponseError

if sys.version_info >= (3, 11):
    from asyncio import timeout as asyncio_timeout
else:  # what aiohttp itself uses there
    from async_timeout import timeout as asyncio_timeout

# How httpx words a 3xx whose Location is not a URL (httpx/_client.py, _redirect_url).
_HTTPX_BAD_LOCATION = "Invalid URL in location header"

__all__ = ["ReplayableBody", "Requester"]

T = TypeVar("T")

# A JSON answer larger than this (decoded) is not one the API sends; refuse it.
MAX_JSON_BYTES = 64 << 20
# API answers may come compressed (we decode them, capped); downloads must come as they are.
API_ACCEPT_ENCODING = "gzip, deflate"
_IDENTITY = "identity"


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()} if headers else {}


async def _keep_open(response: WireResponse, call: Call) -> WireResponse:
    """A download's answer is handed over open: the engine reads the body."""
    return response


class _OpenStream:
    """A download's response, open inside ``async with`` and closed when it exits.

    A class rather than an ``asynccontextmanager``: every download opens one, and a generator
    costs more to start and finish.
    """

    __slots__ = ("_call", "_requester", "_response", "_span")

    def __init__(self, requester: Requester, call: Call, span: CallSpan) -> None:
        self._requester = requester
        self._call = call
        self._span = span
        self._response: WireResponse | None = None

    async def __aenter__(self) -> WireResponse:
        self._response = await self._requester._attempts(self._call, _keep_open, self._span)
        return self._response

    async def __aexit__(self, *exc_info: object) -> None:
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()


class Requester:
    """Sends API requests for one client; shares its retry budget with every copy of it.

    ``aiohttp_transport`` is the client's own ``AiohttpTransport`` when downloads and API calls
    without a body may be sent straight on its session; ``None`` sends everything through
    ``http``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_root: httpx.URL,
        auth: CredentialsAuth,
        options: RequestOptions,
        budget: RetryBudget,
        aiohttp_transport: AiohttpTransport | None = None,
        tracing: Tracing | None = None,
        network: NetworkSettings = DIRECT,
    ) -> None:
        self.http = http
        self.root = root = ApiRoot.of(api_root)
        self.auth = auth
        self.options = options
        self.budget = budget
        self.aiohttp_transport = aiohttp_transport
        self.network = network
        self._rules = self._rules_for(options)
        scheme, host, port = root.origin
        self.tracing = tracing or Tracing(scheme=scheme, host=host, port=port, root_path=root.path)
        # What httpx would add from the client's defaults, for requests that bypass it.
        self._default_headers = {
            key.lower(): value
            for key, value in http.headers.items()
            if key.lower() in ("user-agent", "accept")
        }

    def _rules_for(self, options: RequestOptions) -> AttemptRules:
        return AttemptRules(
            auth=self.auth,
            budget=self.budget,
            policy=options.retry,
            extra_headers=options.headers,
            api_origin=self.root.origin,
            network=self.network,
        )

    def with_options(self, options: RequestOptions) -> Requester:
        """A requester sharing everything but ``options``."""
        twin = copy.copy(self)
        twin.options = options
        twin._rules = self._rules_for(options)
        return twin

    def url(self, template: str) -> str:
        """The absolute URL of the API path ``template`` (``ApiRoot.url_of``)."""
        return self.root.url_of(template)

    def download_span(self, template: str) -> AbstractContextManager[CallSpan]:
        """A span around one whole download (resumes and parts included), for the engine.

        ``template`` is the API path template (``"data/results/{order_id}/download"``)::

            with requester.download_span(template) as span:
                async with requester.stream("GET", template, ..., span=span) as response:
                    async for chunk in response.iter_raw():
                        span.add_bytes(len(chunk))

        ``stream(span=...)`` records status codes and requests on it (every request after
        the first, retries, resumptions and parts included, counts in
        ``http.request.resend_count``); ``span.add_bytes(n)`` adds to
        ``http.response.body.size``; the span records ``error.type`` if the block raises.
        Without a tracer provider it costs nothing.
        """
        return self.tracing.span("GET", template)

    # -- API calls ----------------------------------------------------------------------------

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
        sensitive: Any = None,
    ) -> Any:
        """Send an API call and return its decoded JSON (``None`` for an empty body).

        The client's deadline bounds the whole call: retries, waits and reading the body.
        ``sensitive`` holds values the caller sent that must never be shown (a submit's
        ``pdf_metadata``: any structure, its strings and numbers are taken): every error of
        this call is redacted of them, whatever the server echoes.
        """
        call = self.root.call(
            method,
            template,
            headers={**_lower(headers), "accept-encoding": API_ACCEPT_ENCODING},
            path_params=path_params,
            params=params,
            json=json,
            body=body,
            idempotent=idempotent,
            authenticated=authenticated,
        )
        data, _ = await self._json_call(call, template, sensitive)
        return data

    async def request_token(
        self, path: str, payload: dict[str, Any], bearer: str | None
    ) -> tuple[Any, str | None]:
        """POST a token request (no credentials but ``bearer``); its JSON and ``Date`` header."""
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        call = self.root.call(
            "POST",
            path,
            headers={**headers, "accept-encoding": API_ACCEPT_ENCODING},
            json=payload,
            idempotent=False,
            authenticated=False,
        )
        data, answer_headers = await self._json_call(call, path, None)
        return data, answer_headers.get("date")

    async def _json_call(
        self, call: Call, template: str, sensitive: Any
    ) -> tuple[Any, Mapping[str, str]]:
        """The decoded JSON and headers of ``call``'s answer, in a span, under the deadline;
        its errors redacted of the ``sensitive`` values."""
        values = field_values(sensitive) if sensitive is not None else ()
        try:
            with values_being_sent(values), self.tracing.span(call.method, template) as span:
                return await self._attempts(call, self._read_json, span)
        except GalateaError as exc:
            if values:
                exc._redact_values(values)
            raise

    async def _read_json(self, response: WireResponse, call: Call) -> tuple[Any, Mapping[str, str]]:
        try:
            content = await read_decoded(response, MAX_JSON_BYTES)
        except BodyTooLarge:
            raise InvalidResponseError(
                f"the JSON body is larger than {MAX_JSON_BYTES >> 20} MiB"
                + (" once decoded" if response.headers.get("content-encoding") else ""),
                status_code=response.status_code,
                method=call.method,
                path=call.path,
            ) from None
        except ContentDecodingError as exc:
            raise InvalidResponseError(
                str(exc), status_code=response.status_code, method=call.method, path=call.path
            ) from None
        finally:
            await response.aclose()
        data = decode_json(
            content,
            status_code=response.status_code,
            content_type=response.headers.get("content-type"),
            method=call.method,
            path=call.path,
        )
        return data, response.headers

    # -- downloads ----------------------------------------------------------------------------

    def stream(
        self,
        method: str,
        target: str | httpx.URL,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        span: CallSpan = NO_SPAN,
    ) -> AbstractAsyncContextManager[WireResponse]:
        """Open a streaming response (2xx); the deadline bounds only the wait for its headers.

        ``target`` is an API path template (or an absolute URL). A body may take as long as
        it takes (a 4 GiB result does); the read timeout still catches a server that stops
        sending. ``span`` (from ``download_span``) records the statuses and resends.
        """
        sent = {"accept-encoding": _IDENTITY, **_lower(headers)}
        if isinstance(target, str):
            call = self.root.call(
                method,
                target,
                headers=sent,
                path_params=path_params,
                params=params,
                follow_redirects=follow_redirects,
            )
        else:
            call = self.root.call_to_url(
                method, target, headers=sent, params=params, follow_redirects=follow_redirects
            )
        return _OpenStream(self, call, span)

    async def _attempts(self, call: Call, finish: Finish[T], span: CallSpan) -> T:
        """``run_attempts`` under the deadline, on the way out that suits ``call``.

        A bodiless request goes straight onto the client's own aiohttp session, if it has one:
        asyncio only, so the deadline is asyncio's own timer (a third of an anyio cancel
        scope's work). Anything else goes through httpx, under an anyio scope (trio too).
        """
        deadline = self.options.deadline
        if self.aiohttp_transport is not None and call.body is None and call.json is None:
            try:
                async with asyncio_timeout(deadline):
                    return await run_attempts(call, self._send_direct, finish, span, self._rules)
            except asyncio.TimeoutError:
                # Transport timeouts arrive as httpx's exceptions: this one is the deadline's.
                assert deadline is not None
                raise deadline_error(call.method, call.path, deadline) from None
        with anyio.move_on_after(deadline):  # (fail_after costs three times as much)
            return await run_attempts(call, self._send_httpx, finish, span, self._rules)
        assert deadline is not None
        raise deadline_error(call.method, call.path, deadline)

    # -- the two ways out ---------------------------------------------------------------------

    def _keep_cookies(self, call: Call, response: WireResponse) -> None:
        """Put the cookies a direct answer sets in the client's jar, as httpx would."""
        answer = httpx.Response(
            response.status_code,
            headers=list(response.headers.items()),
            request=httpx.Request(call.method, call.url),
        )
        self.http.cookies.extract_cookies(answer)

    async def _send_httpx(self, call: Call, headers: dict[str, str]) -> WireResponse:
        request = self.http.build_request(
            call.method, call.url, json=call.json, headers=headers, timeout=self.options.timeout
        )
        if call.body is not None:
            # A fresh body stream each attempt, so an upload can be replayed.
            request_headers = httpx.Headers(request.headers)
            request_headers.update(call.body.headers())  # replaces the empty body's length
            request = httpx.Request(
                call.method,
                request.url,
                headers=request_headers,
                stream=call.body.stream(),
                extensions=request.extensions,
            )
        # Credentials are already in the headers: no auth flow, whatever the client's own.
        try:
            response = await self.http.send(request, auth=None, stream=True, follow_redirects=False)
        except httpx.RemoteProtocolError as exc:
            if str(exc).startswith(_HTTPX_BAD_LOCATION):
                # httpx builds the next request of a 3xx even when it will not follow it, and
                # fails on a malformed Location: that is the server's redirect, refused as the
                # direct path's next_hop refuses it (not a broken connection to retry).
                raise RedirectRefused("a redirect to a malformed URL") from None
            raise
        return HttpxWireResponse(response)

    async def _send_direct(self, call: Call, headers: dict[str, str]) -> WireResponse:
        """One attempt on the aiohttp session; through httpx once the client holds a cookie
        (httpx sends it back), which a direct answer's ``Set-Cookie`` puts in its jar."""
        assert self.aiohttp_transport is not None
        if self.http.cookies:
            return await self._send_httpx(call, headers)
        response = await self.aiohttp_transport.open(
            call.method,
            call.url,
            headers={**self._default_headers, **headers},
            timeout=self.options.timeout,
        )
        if "set-cookie" in response.headers:
            self._keep_cookies(call, response)
        return response
