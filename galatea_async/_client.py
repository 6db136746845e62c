"""``AsyncGalatea``: credentials, one ``httpx.AsyncClient``, and the resource namespaces."""

from __future__ import annotations

import ipaddress
import os
import ssl
import sys
import warnings
import weakref
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from galatea_async._download import TransferOptions
from galatea_async._http._abandoned import close_abandoned
from galatea_async._http._auth import CredentialsAuth
from galatea_async._http._headers import check_extra_headers
from galatea_async._http._logging import install_log_filter
from galatea_async._http._network import DEFAULT_KEEPALIVE_EXPIRY, network_settings
from galatea_async._http._proxies import proxy_password
from galatea_async._http._redact import register_secret, unregister_secret
from galatea_async._http._requester import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    Requester,
    RequestOptions,
)
from galatea_async._http._retry import RetryBudget, RetryPolicy
from galatea_async._http._transport import AiohttpTransport, transport_from_environment
from galatea_async._validation import (
    check_api_key,
    check_count,
    check_credential,
    check_seconds,
)
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
from galatea_async.resources._base import ResourceContext

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
# Transports that run an app in this process: nothing they carry crosses a network.
_IN_PROCESS_TRANSPORTS = (httpx.ASGITransport, httpx.MockTransport)


# The named environments ``base_url`` (and ``GALATEA_BASE_URL``) accepts, here and in the CLI.
NAMED_BASE_URLS = {"production": PRODUCTION, "sandbox": SANDBOX}


def named_base_url(value: str) -> str:
    """``value``, or the host it names when it is ``production`` or ``sandbox`` (any case)."""
    return NAMED_BASE_URLS.get(value.strip().lower(), value)


def api_root(base_url: str | httpx.URL, *, in_process: bool = False) -> httpx.URL:
    """The API root (``.../api/v1/``) of a base URL given with or without ``/api/v1``, or of
    a named environment (``production``, ``sandbox``).

    Plain ``http`` is refused to anything but a loopback host, unless ``in_process`` (the
    transport is an in-process app such as ``httpx.ASGITransport``: nothing crosses a network).
    """
    if not isinstance(base_url, (str, httpx.URL)):
        raise TypeError(f"base_url must be a str, got {type(base_url).__name__}")
    text = named_base_url(str(base_url)).strip()
    # Checked before anything else, so no message below can echo a password.
    if "@" in urlsplit(text).netloc:
        raise ValueError(
            "base_url must not carry a user name or password (they would be sent as Basic "
            "auth and shown wherever the URL is): pass api_key= (or email= and password=) "
            "and give base_url as scheme://host[:port]"
        )
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError(
            f"base_url {text!r} contains a space or control character; give it as "
            "scheme://host[:port][/path] with no spaces (or 'production' / 'sandbox')"
        )
    url = httpx.URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"base_url must be an http(s) URL such as {PRODUCTION!r}, got {str(base_url)!r}"
        )
    if url.scheme == "http" and not in_process and not _is_loopback(url.host):
        raise ValueError(
            f"base_url {str(base_url)!r} is plain http to a remote host; credentials and "
            "patient data would cross the network unencrypted: use https (plain http is "
            "accepted for 127.0.0.1, localhost and in-process transports such as "
            "httpx.ASGITransport)"
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


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    seconds = check_seconds(timeout, "timeout")
    if seconds is None:
        return httpx.Timeout(None)
    return httpx.Timeout(seconds, pool=DEFAULT_TIMEOUT.pool)


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
    transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={"User-Agent": f"galatea-async/{__version__}", "Accept": "application/json"},
    )


def _caller_location() -> tuple[str, int]:
    """Where the code that builds the client is (reported if it is never closed)."""
    frame = sys._getframe(2)  # past __init__ and this function
    return frame.f_code.co_filename, frame.f_lineno


def _report_abandoned(
    shown: str,
    created_at: tuple[str, int],
    http: httpx.AsyncClient,
    lean: AiohttpTransport | None,
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
    close_abandoned(http, lean)


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
        check_seconds(deadline, "deadline")
        if http_client is not None and transport is not None:
            raise ValueError("pass transport= or http_client=, not both")
        builds_transport = http_client is None and transport is None
        network = network_settings(
            proxy=proxy,
            verify=verify,
            trust_env=trust_env,
            keepalive_expiry=keepalive_expiry,
            environ=os.environ,
            builds_transport=builds_transport,
        )
        # How downloads move (chunk size, parallel parts, resume attempts, fsync).
        self.transfer_options = transfer_options or TransferOptions()
        self.base_url = api_root(
            base_url or os.environ.get("GALATEA_BASE_URL") or PRODUCTION,
            in_process=isinstance(transport, _IN_PROCESS_TRANSPORTS),
        )
        self.max_connections = max_connections
        self._owns_http = http_client is None
        lean: AiohttpTransport | None = None
        if http_client is None:
            transport = transport or transport_from_environment(
                max_connections=max_connections, network=network, environ=os.environ
            )
            # Our own aiohttp transport in our own client: downloads may skip httpx.
            lean = transport if type(transport) is AiohttpTransport else None
            http_client = _own_http_client(transport, _as_timeout(timeout))
        self._http = http_client
        # The pool, held by the finaliser rather than only by this client (which sits in a
        # reference cycle with its resources), outlives a client dropped while open, so that
        # it is closed by us and not collected (and reported) by aiohttp or asyncio.
        self._abandoned = weakref.finalize(
            self, _report_abandoned, f"AsyncGalatea(base_url={str(self.base_url)!r})",
            _caller_location(), http_client, lean,
        )  # fmt: skip
        self._abandoned.atexit = False
        if not self._owns_http:
            self._abandoned.detach()
        # httpcore's DEBUG log shows response headers: keep known secrets out of it.
        install_log_filter()
        self._credentials = CredentialsAuth(
            api_key=api_key, email=email, password=password, sender=self._send_token_request
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
            aiohttp_transport=lean,
            network=network,
        )
        # A proxy's password is a secret like the API key: out of every message and log.
        self._proxy_passwords = [proxy_password(url) for url in network.proxies.proxies]
        for secret in self._proxy_passwords:
            register_secret(secret)
        self._closed = False
        self._init_resources()

    def _init_resources(self) -> None:
        context = ResourceContext(
            requester=self._requester,
            credentials=self._credentials,
            transfer_options=self.transfer_options,
            max_connections=self.max_connections,
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
        if self._owns_http:
            self._abandoned.detach()
            await self._http.aclose()
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
