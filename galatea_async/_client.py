"""``AsyncGalatea``: credentials, one ``httpx.AsyncClient``, and the resource namespaces."""

from __future__ import annotations

import os
import ssl
import sys
import warnings
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import attrs
import httpx

from galatea_async._base_url import PRODUCTION, api_root
from galatea_async._download import TransferOptions
from galatea_async._http._abandoned import close_abandoned
from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._headers import check_extra_headers
from galatea_async._http._logging import install_log_filter
from galatea_async._http._network import (
    DEFAULT_KEEPALIVE_EXPIRY,
    NetworkSettings,
    network_settings,
)
from galatea_async._http._proxies import proxy_password
from galatea_async._http._redact import register_secret, unregister_secret
from galatea_async._http._request_options import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    RequestOptions,
)
from galatea_async._http._requester import Requester
from galatea_async._http._retry import RetryBudget, RetryPolicy
from galatea_async._http._transport import AiohttpTransport
from galatea_async._http._transport_choice import transport_from_environment
from galatea_async._validation import (
    check_api_key,
    check_count,
    check_credential,
    check_seconds,
)
from galatea_async._version import __version__
from galatea_async._walk_tasks import WalkTasks
from galatea_async.resources import (
    AuthResource,
    FilesResource,
    OrdersResource,
    OrganizationsResource,
    ResultsResource,
    TagsResource,
    UsersResource,
)
from galatea_async.resources._base import ResourceContext

__all__ = ["DEFAULT_MAX_CONNECTIONS", "AsyncGalatea"]

# Enough for download_many's default concurrency of 8 with parts in flight, and listings.
DEFAULT_MAX_CONNECTIONS = 64


class _NotGiven:
    """Marks an option ``with_options`` leaves as it is (``None`` means "no limit")."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()

# Transports that run an app in this process: nothing they carry crosses a network.
_IN_PROCESS_TRANSPORTS = (httpx.ASGITransport, httpx.MockTransport)


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    seconds = check_seconds(timeout, "timeout")
    if seconds is None:
        return httpx.Timeout(None)
    return httpx.Timeout(seconds, pool=DEFAULT_TIMEOUT.pool)


def _request_options(
    timeout: float | httpx.Timeout | None,
    max_retries: int,
    retry_policy: RetryPolicy | None,
    deadline: float | None,
) -> RequestOptions:
    """Every request's timeouts, retries and deadline, from the client's arguments."""
    return RequestOptions(
        timeout=_as_timeout(timeout),
        retry=retry_policy or RetryPolicy(max_retries=max_retries),
        deadline=check_seconds(deadline, "deadline"),
    )


def _checked_credentials(
    api_key: str | None, email: str | None, password: str | None
) -> tuple[str | None, str | None, str | None]:
    """The credentials to use: the arguments, else the environment; refused when unusable."""
    api_key = check_credential(api_key, "api_key")
    email = check_credential(email, "email")
    password = check_credential(password, "password")
    if api_key is not None and (email is not None or password is not None):
        raise ValueError("pass either api_key or email and password, not both")
    if api_key is None and email is None and password is None:
        api_key = os.environ.get("GALATEA_API_KEY") or None
        if api_key is None:
            email = os.environ.get("GALATEA_EMAIL") or None
            password = os.environ.get("GALATEA_PASSWORD") or None
    if api_key is None and (email is None or password is None):
        if email is None and password is None:
            raise ValueError(
                "no credentials: pass api_key=... (or email=... and password=...), "
                "or set GALATEA_API_KEY (or GALATEA_EMAIL and GALATEA_PASSWORD)"
            )
        missing = "password" if password is None else "email"
        raise ValueError(f"email and password go together: {missing} is missing")
    if api_key is not None:
        api_key = check_api_key(api_key)
    return api_key, email, password


def _own_http_client(
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    *,
    max_connections: int,
    network: NetworkSettings,
) -> tuple[httpx.AsyncClient, AiohttpTransport | None]:
    """The client's own ``httpx.AsyncClient``, and its aiohttp transport when it has ours."""
    transport = transport or transport_from_environment(
        max_connections=max_connections, network=network, environ=os.environ
    )
    # Our own aiohttp transport in our own client: downloads may skip httpx.
    aiohttp_transport = transport if type(transport) is AiohttpTransport else None
    client = httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": f"galatea-async/{__version__}", "Accept": "application/json"},
    )
    return client, aiohttp_transport


def _caller_location() -> tuple[str, int]:
    """Where the code that builds the client is (reported if it is never closed)."""
    frame = sys._getframe(2)  # past __init__ and this function
    return frame.f_code.co_filename, frame.f_lineno


def _report_abandoned(
    shown: str,
    created_at: tuple[str, int],
    http: httpx.AsyncClient,
    aiohttp_transport: AiohttpTransport | None,
) -> None:
    # Attributed to the line that built the client: the finaliser has no caller of interest.
    warnings.warn_explicit(
        f"{shown} was garbage-collected without being closed: use "
        "`async with AsyncGalatea(...) as client:` or call `await client.aclose()` when done; "
        "its connections are being closed now",
        ResourceWarning,
        filename=created_at[0],
        lineno=created_at[1],
    )
    close_abandoned(http, aiohttp_transport)


class AsyncGalatea:
    """The asynchronous GalateaBio Ancestry API client.

    Use it as ``async with AsyncGalatea(api_key=...) as client:``, or close it with
    ``await client.aclose()``. Without arguments it reads ``GALATEA_API_KEY``,
    ``GALATEA_EMAIL``, ``GALATEA_PASSWORD`` and ``GALATEA_BASE_URL`` (a URL, or
    ``production`` / ``sandbox``).

    How it reaches the API: ``proxy`` is a forward proxy for every request
    (``http://user:password@host:port``; the credentials are never shown); ``verify`` is
    ``True``, a CA bundle path or an ``ssl.SSLContext`` (``False`` turns verification off,
    with a warning); with ``trust_env`` (the default) ``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``ALL_PROXY``, ``NO_PROXY``, ``SSL_CERT_FILE``, ``SSL_CERT_DIR`` and
    ``GALATEA_TRUST_STORE=system`` are honoured; ``keepalive_expiry`` is how many seconds an
    idle connection is kept for reuse.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        email: str | None = None,
        password: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        deadline: float | None = DEFAULT_DEADLINE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retry_policy: RetryPolicy | None = None,
        transfer_options: TransferOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        proxy: str | None = None,
        verify: bool | str | os.PathLike[str] | ssl.SSLContext = True,
        trust_env: bool = True,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
    ) -> None:
        api_key, email, password = _checked_credentials(api_key, email, password)
        check_count(max_connections, "max_connections")
        options = _request_options(timeout, max_retries, retry_policy, deadline)
        if http_client is not None and transport is not None:
            raise ValueError("pass transport= or http_client=, not both")
        network = network_settings(
            proxy=proxy,
            verify=verify,
            trust_env=trust_env,
            keepalive_expiry=keepalive_expiry,
            environ=os.environ,
            builds_transport=http_client is None and transport is None,
        )
        # How downloads move (chunk size, parallel parts, resume attempts, fsync).
        self.transfer_options = transfer_options or TransferOptions()
        self.base_url = api_root(
            base_url or os.environ.get("GALATEA_BASE_URL") or PRODUCTION,
            in_process=isinstance(transport, _IN_PROCESS_TRANSPORTS),
        )
        self.max_connections = max_connections
        self._owns_http = http_client is None
        self._is_view = False  # a with_options view shares the secrets and closes nothing
        aiohttp_transport: AiohttpTransport | None = None
        if http_client is None:
            http_client, aiohttp_transport = _own_http_client(
                transport, options.timeout, max_connections=max_connections, network=network
            )
        self._http = http_client
        self._watch_abandoned(_caller_location(), aiohttp_transport)
        # httpcore's DEBUG log shows response headers: keep known secrets out of it.
        install_log_filter()
        self._credentials = CredentialsAuth(
            api_key=api_key, email=email, password=password, sender=self._send_token_request
        )
        self._requester = self._first_requester(options, network, aiohttp_transport)
        # A proxy's password is a secret like the API key: out of every message and log.
        self._proxy_passwords = [proxy_password(url) for url in network.proxies.proxies]
        for secret in self._proxy_passwords:
            register_secret(secret)
        self._closed = False
        self._walks = WalkTasks()
        self._init_resources()

    def _first_requester(
        self,
        options: RequestOptions,
        network: NetworkSettings,
        aiohttp_transport: AiohttpTransport | None,
    ) -> Requester:
        """The request path every resource uses; ``with_options`` views derive theirs from it."""
        return Requester(
            self._http,
            api_root=self.base_url,
            auth=self._credentials,
            options=options,
            budget=RetryBudget(),
            aiohttp_transport=aiohttp_transport,
            network=network,
        )

    def _watch_abandoned(
        self, created_at: tuple[str, int], aiohttp_transport: AiohttpTransport | None
    ) -> None:
        """Close (and report) the pool of a client dropped while open, if the pool is ours."""
        # The finaliser holds the pool rather than only this client (which sits in a reference
        # cycle with its resources), so a pool dropped while open is closed by us and not
        # collected (and reported) by aiohttp or asyncio.
        self._abandoned = weakref.finalize(
            self, _report_abandoned, f"AsyncGalatea(base_url={str(self.base_url)!r})",
            created_at, self._http, aiohttp_transport,
        )  # fmt: skip
        self._abandoned.atexit = False
        if not self._owns_http:
            self._abandoned.detach()

    def _init_resources(self) -> None:
        context = ResourceContext(
            requester=self._requester,
            credentials=self._credentials,
            transfer_options=self.transfer_options,
            max_connections=self.max_connections,
            walks=self._walks,
        )
        self.auth = AuthResource(context)
        self.users = UsersResource(context)
        self.organizations = OrganizationsResource(context)
        self.files = FilesResource(context)
        self.orders = OrdersResource(context)
        self.tags = TagsResource(context)
        self.results = ResultsResource(context)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | _NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        deadline: float | _NotGiven | None = NOT_GIVEN,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncGalatea:
        """A view of this client with other timeouts, retries, deadline or extra headers.

        It shares the connection pool, credentials and retry budget; closing it closes nothing.
        ``client.with_options(timeout=5, max_retries=0).orders.get(order_id)``.
        ``headers`` are added to every request to the API (request ids, tracing propagation),
        on top of the view's own; never to another origin a download is redirected to.
        They cannot set ``Authorization`` (credentials are the client's) nor the headers the
        SDK decides (``Accept-Encoding``, ``Range``, ``Content-Length``...): ``ValueError``.
        """
        options = self._requester.options
        retry = options.retry
        if max_retries is not None:
            retry = attrs.evolve(retry, max_retries=max_retries)
        extra = options.headers
        if headers is not None:
            extra = tuple({**dict(options.headers), **dict(check_extra_headers(headers))}.items())
        new_options = RequestOptions(
            timeout=options.timeout if isinstance(timeout, _NotGiven) else _as_timeout(timeout),
            retry=retry,
            deadline=(
                options.deadline
                if isinstance(deadline, _NotGiven)
                else check_seconds(deadline, "deadline")
            ),
            headers=extra,
        )
        view = object.__new__(AsyncGalatea)
        view.__dict__.update(self.__dict__)
        view._owns_http = False
        view._is_view = True
        view._requester = self._requester.with_options(new_options)
        view._init_resources()
        return view

    async def _send_token_request(
        self, path: str, payload: dict[str, Any], access: str | None
    ) -> tuple[Any, str | None]:
        return await self._requester.request_token(path, payload, access)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The underlying ``httpx.AsyncClient``."""
        return self._http

    def __repr__(self) -> str:
        mode = "tokens" if self._credentials.uses_tokens else "api_key"
        return f"AsyncGalatea(base_url={str(self.base_url)!r}, auth={mode!r})"

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        if not self._is_view:
            await self._walks.close()
        if self._owns_http:
            self._abandoned.detach()
            await self._http.aclose()
        if not self._is_view:  # a client given its http_client still owns its secrets
            self._credentials.forget_secrets()
            for secret in self._proxy_passwords:
                unregister_secret(secret)

    async def __aenter__(self) -> AsyncGalatea:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
