"""What the request path sends: the ``Call`` value, and one factory for each kind of target.

- ``ApiRoot.call`` builds the call of an API path template (``"exec/orders/{order_id}"``)
  under the client's root: path parameters percent-encoded, the template kept for logs and
  spans, credentials going with it.
- ``ApiRoot.call_to_url`` builds the call of an absolute URL (a download link the API handed
  out): credentials go with it only when it is on the API's own origin.

A ``Call`` carries the method and URL it is sent with; a followed redirect gives a new one
(``attrs.evolve``). Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import attrs
import httpx

from galatea_async._http._redirects import Origin, origin_of

__all__ = ["ApiRoot", "Call", "ReplayableBody"]


class ReplayableBody(Protocol):
    """A request body that can be sent again from the start (after a 401 or a retry)."""

    def headers(self) -> Mapping[str, str]:
        """Content-Type and Content-Length of the body."""
        ...

    def stream(self) -> httpx.AsyncByteStream:
        """A new stream over the whole body."""
        ...


@attrs.frozen
class Call:
    """One API call or download as the request path sees it."""

    method: str
    url: str
    log_path: str  # the path template: logs and spans never show ids' values or queries
    # A login's JSON holds the password and a token request's headers a token: out of repr.
    json: Any = attrs.field(default=None, repr=False)
    body: ReplayableBody | None = attrs.field(default=None, repr=False)
    headers: Mapping[str, str] | None = attrs.field(default=None, repr=False)
    idempotent: bool | None = None
    authenticated: bool = True
    follow_redirects: bool = False
    # The path as sent (ids in it, no query), for error messages.
    path: str = ""
    # Whether ``url`` is on the API's origin (credentials and extra headers go there only).
    credentials: bool = True


def _query_value(value: Any) -> str:
    # As httpx spells them: booleans in lower case.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Values made only of these need no quoting (ids, result types): the common case, kept cheap.
_PLAIN_QUERY_TEXT = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def query_string(params: Mapping[str, Any] | None) -> str:
    """``?k=v&...`` for the parameters that are not ``None`` (``""`` for none), form-encoded."""
    if not params:
        return ""
    parts = []
    for key, value in params.items():
        if value is not None:
            text = _query_value(value)
            plain = _PLAIN_QUERY_TEXT(key) and _PLAIN_QUERY_TEXT(text)
            parts.append(f"{key}={text}" if plain else urlencode({key: text}))
    return "?" + "&".join(parts) if parts else ""


def expand(template: str, path_params: Mapping[str, str] | None) -> str:
    """``template`` with its ``{name}`` fields filled in, each value percent-encoded whole."""
    if not path_params:
        return template
    return template.format_map(
        # quote() leaves these characters as they are: an id needs no call to it.
        {k: v if _PLAIN_QUERY_TEXT(v) else quote(v, safe="") for k, v in path_params.items()}
    )


@attrs.frozen
class ApiRoot:
    """The API's root URL, and the calls made under it."""

    url: str  # ends with "/": a path template is appended as it is
    path: str  # the root's path, ending with "/"
    origin: Origin

    @classmethod
    def of(cls, api_root: httpx.URL) -> ApiRoot:
        """The root of ``api_root``, an absolute http(s) URL."""
        text = str(api_root)
        origin = origin_of(text)
        assert origin is not None, "api_root is an absolute http(s) URL"
        path = api_root.path if api_root.path.endswith("/") else api_root.path + "/"
        return cls(url=text, path=path, origin=origin)

    def url_of(
        self,
        template: str,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> str:
        """The absolute URL of an API path template: path parameters percent-encoded, query
        parameters that are not ``None`` appended. Concatenation: nothing is parsed."""
        return self.url + expand(template, path_params) + query_string(params)

    def call(
        self,
        method: str,
        template: str,
        *,
        headers: Mapping[str, str],
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: ReplayableBody | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
        follow_redirects: bool = False,
    ) -> Call:
        """The call of the API path ``template`` (its fields filled from ``path_params``)."""
        path = expand(template, path_params)
        return Call(
            method=method,
            url=self.url + path + query_string(params),
            log_path=self.path + template,
            path=self.path + path,
            json=json,
            body=body,
            headers=headers,
            idempotent=idempotent,
            authenticated=authenticated,
            follow_redirects=follow_redirects,
        )

    def call_to_url(
        self,
        method: str,
        url: httpx.URL,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        follow_redirects: bool = False,
    ) -> Call:
        """The call of the absolute ``url``, ``params`` added to its query; credentials go
        with it only on the API's origin."""
        text, query = str(url), query_string(params)
        if query:
            text += ("&" if url.query else "?") + query[1:]
        return Call(
            method=method,
            url=text,
            log_path=url.path,
            path=url.path,
            headers=headers,
            follow_redirects=follow_redirects,
            credentials=origin_of(text) == self.origin,
        )
