"""Pure redirect decisions for downloads: where the next hop goes, and whether credentials go.

The rules (one for every path a download takes, httpx or the direct aiohttp path):

- only downloads follow redirects; API calls never do (a 3xx there is
  ``UnexpectedRedirectError``);
- at most ``MAX_REDIRECTS`` (5) hops; the sixth redirect is refused;
- a ``Location`` is resolved against the URL that answered; only ``http`` and ``https``
  targets are followed, never one carrying a user name or password, and never from ``https``
  down to plain ``http``;
- 303 turns any method but HEAD into GET, and so do 301 and 302 for a POST (as browsers and
  httpx do); 307 and 308 keep the method;
- credentials (``Authorization``, and the caller's extra headers) go only to the API's own
  origin (scheme, host and port): a hop to another origin gets none, and a hop back to the
  API's origin gets them again.

Nothing here does I/O.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import attrs

__all__ = [
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "Hop",
    "Origin",
    "RedirectRefused",
    "next_hop",
    "origin_of",
    "without_query",
]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RedirectRefused(ValueError):
    """A redirect the SDK will not follow; the message says why (no query string in it)."""


@attrs.frozen
class Hop:
    """The request a followed redirect asks for."""

    url: str
    method: str
    # Whether Authorization (and the caller's extra headers) go with it: same origin as the API.
    credentials: bool
    # Redirects followed so far, this one included.
    count: int


def origin_of(url: str) -> Origin | None:
    """``(scheme, host, port)`` of an absolute http(s) URL, ports made explicit; else ``None``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def without_query(url: str) -> str:
    """``url`` without its query string and fragment, for messages (file names live there)."""
    return url.split("#", 1)[0].split("?", 1)[0]


def next_hop(
    *,
    url: str,
    method: str,
    status: int,
    location: str | None,
    count: int,
    api_origin: Origin,
    max_redirects: int = MAX_REDIRECTS,
) -> Hop:
    """Where the redirect ``status`` with ``location`` (answering ``method url``) leads.

    ``count`` is the number of redirects already followed. Raises ``RedirectRefused``, saying
    why, for a redirect the rules above do not follow.
    """
    if count >= max_redirects:
        raise RedirectRefused(
            f"redirected more than {max_redirects} times (a redirect loop, or a server "
            "misconfigured); the SDK stops there"
        )
    if not location or not location.strip():
        raise RedirectRefused(f"a {status} redirect without a Location header")
    try:
        target = urljoin(url, location.strip()).split("#", 1)[0]
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise RedirectRefused("a redirect to a malformed URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise RedirectRefused(f"a redirect to a {scheme or 'relative'} URL, which is not http(s)")
    if parts.username is not None or parts.password is not None:
        raise RedirectRefused("a redirect to a URL carrying a user name or password")
    if scheme == "http" and urlsplit(url).scheme.lower() == "https":
        raise RedirectRefused(
            f"a redirect from https down to plain http ({without_query(target)}); the file "
            "would cross the network unencrypted"
        )
    next_method = method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        next_method = "GET"
    return Hop(
        url=target,
        method=next_method,
        credentials=origin_of(target) == api_origin,
        count=count + 1,
    )
