"""``AsyncGalatea``: credentials, one ``httpx.AsyncClient``, and the resource namespaces."""

from __future__ import annotations

import ipaddress
import os
from types import TracebackType
from typing import Any

import attrs
import httpx

from galatea_async._auth import CredentialsAuth
from galatea_async._download import TransferOptions
from galatea_async._requester import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Requester, RequestOptions
from galatea_async._retry import RetryBudget, RetryPolicy
from galatea_async._transport import default_transport, httpx_transport
from galatea_async._version import __version__
from galatea_async.resources import (
    AuthResource,
    FilesResource,
    OrdersResource,
    OrganizationsResource,
    ResultsResource,
    TagsResource,
    UsersResource,
)

__all__ = ["DEFAULT_MAX_CONNECTIONS", "PRODUCTION", "SANDBOX", "AsyncGalatea"]

PRODUCTION = "https://api.galatea.bio"
SANDBOX = "https://api.sandbox.galatea.bio"
API_PREFIX = "/api/v1/"
# Enough for download_many's default concurrency of 8 with parts in flight, and listings.
DEFAULT_MAX_CONNECTIONS = 64


class _NotGiven:
    """Marks an option ``with_options`` leaves as it is (``None`` means "no limit")."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = _NotGiven()

_LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain"})


def api_root(base_url: str | httpx.URL) -> httpx.URL:
    """The API root (``.../api/v1/``) of a base URL given with or without ``/api/v1``."""
    url = httpx.URL(str(base_url).strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url must be an http(s) URL such as {PRODUCTION!r}, got {str(base_url)!r}"
        )
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ValueError(
            f"base_url {str(base_url)!r} is plain http to a remote host; credentials and "
            "patient data would cross the network unencrypted: use https"
        )
    if url.query or url.fragment:
        raise ValueError("base_url must not carry a query string or fragment")
    path = url.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    return url.copy_with(path=f"{path}{API_PREFIX}")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _transport_from_environment(max_connections: int) -> httpx.AsyncBaseTransport:
    """The transport ``GALATEA_TRANSPORT`` names: ``aiohttp`` (the default) or ``httpx``."""
    choice = os.environ.get("GALATEA_TRANSPORT", "aiohttp").strip().lower() or "aiohttp"
    if choice == "aiohttp":
        return default_transport(max_connections=max_connections)
    if choice == "httpx":
        return httpx_transport(max_connections=max_connections)
    raise ValueError(
        f"GALATEA_TRANSPORT={choice!r} is not a transport: use 'aiohttp' (the default, "
        "fastest, asyncio only) or 'httpx' (httpx's own, also for trio)"
    )


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    return httpx.Timeout(timeout, pool=DEFAULT_TIMEOUT.pool)


class AsyncGalatea:
    """The asynchronous GalateaBio Ancestry API client.

    Use it as ``async with AsyncGalatea(api_key=...) as client:``, or close it with
    ``await client.aclose()``. Without arguments it reads ``GALATEA_API_KEY``,
    ``GALATEA_EMAIL``, ``GALATEA_PASSWORD`` and ``GALATEA_BASE_URL``.
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
    ) -> None:
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
        if api_key is not None and not api_key.strip():
            raise ValueError("api_key is empty")
        if isinstance(max_connections, bool) or max_connections < 1:
            raise ValueError("max_connections must be at least 1")

        # How downloads move (chunk size, parallel parts, resume attempts, fsync).
        self.transfer_options = transfer_options or TransferOptions()
        self.base_url = api_root(base_url or os.environ.get("GALATEA_BASE_URL") or PRODUCTION)
        self.max_connections = max_connections
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(
                transport=transport or _transport_from_environment(max_connections),
                timeout=_as_timeout(timeout),
                follow_redirects=False,
                headers={
                    "User-Agent": f"galatea-async/{__version__}",
                    "Accept": "application/json",
                },
            )
        elif transport is not None:
            raise ValueError("pass transport= or http_client=, not both")
        self._http = http_client
        self._credentials = CredentialsAuth(
            api_key=api_key,
            email=email,
            password=password,
            origin=(self.base_url.scheme, self.base_url.host, self.base_url.port),
            sender=self._send_token_request,
        )
        self._requester = Requester(
            http_client,
            api_root=self.base_url,
            auth=self._credentials,
            options=RequestOptions(
                timeout=_as_timeout(timeout),
                retry=retry_policy or RetryPolicy(max_retries=max_retries),
                deadline=deadline,
            ),
            budget=RetryBudget(),
        )
        self._closed = False
        self._init_resources()

    def _init_resources(self) -> None:
        self.auth = AuthResource(self)
        self.users = UsersResource(self)
        self.organizations = OrganizationsResource(self)
        self.files = FilesResource(self)
        self.orders = OrdersResource(self)
        self.tags = TagsResource(self)
        self.results = ResultsResource(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | _NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        deadline: float | _NotGiven | None = NOT_GIVEN,
    ) -> AsyncGalatea:
        """A view of this client with other timeouts, retries or deadline, for one call or many.

        It shares the connection pool, credentials and retry budget; closing it closes nothing.
        ``client.with_options(timeout=5, max_retries=0).orders.get(order_id)``
        """
        options = self._requester.options
        retry = options.retry
        if max_retries is not None:
            retry = attrs.evolve(retry, max_retries=max_retries)
        new_options = RequestOptions(
            timeout=options.timeout if isinstance(timeout, _NotGiven) else _as_timeout(timeout),
            retry=retry,
            deadline=options.deadline if isinstance(deadline, _NotGiven) else deadline,
        )
        view = object.__new__(AsyncGalatea)
        view.__dict__.update(self.__dict__)
        view._owns_http = False
        view._requester = self._requester.with_options(new_options)
        view._init_resources()
        return view

    async def _send_token_request(
        self, path: str, payload: dict[str, Any], access: str | None
    ) -> Any:
        headers = {"Authorization": f"Bearer {access}"} if access else None
        return await self._requester.request(
            "POST", path, json=payload, headers=headers, idempotent=False, authenticated=False
        )

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
        if self._owns_http:
            await self._http.aclose()
            self._credentials.forget_secrets()

    async def __aenter__(self) -> AsyncGalatea:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
