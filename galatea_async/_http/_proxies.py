"""Which forward proxy each request goes through: one rule for both transports.

The rules (httpx's, for ``trust_env=True``):

- ``AsyncGalatea(proxy=URL)`` sends every request through that proxy; the environment is not
  read for proxies then.
- Otherwise, with ``trust_env`` (the default), ``HTTPS_PROXY`` serves ``https://`` URLs and
  ``HTTP_PROXY`` ``http://`` ones, ``ALL_PROXY`` both when the specific one is unset; the
  lower-case names win over the upper-case ones, as in curl. ``NO_PROXY`` lists hosts reached
  directly: ``*`` (every host), a name (that host and its subdomains; a leading dot is
  ignored), an IP address or network (``10.0.0.0/8``), each optionally with ``:port``.
- A proxy URL is ``http://`` or ``https://`` with a host; without a scheme ``http://`` is
  assumed. Its user name and password are sent to the proxy only, as ``Proxy-Authorization``.

``shown_proxy`` is how a proxy appears in messages: its credentials never do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

import attrs

__all__ = ["ProxyRoutes", "check_proxy_url", "proxy_password", "shown_proxy"]

_SCHEMES = ("http", "https")


def check_proxy_url(value: object, name: str = "proxy") -> str:
    """A proxy URL, ``http://`` added when it has no scheme; ``ValueError`` naming ``name``
    (never showing the credentials) when it is not one."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str such as 'http://proxy.example:3128'")
    text = value.strip()
    if "://" not in text:
        text = f"http://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise ValueError(
            f"{name} must be an http:// or https:// proxy URL such as "
            f"'http://user:password@proxy.example:3128', got {shown_proxy(text)!r} (a user name "
            "or password holding / ? # or @ must be percent-encoded: %2F %3F %23 %40)"
        )
    if port is None and parts.netloc.rsplit("@", 1)[-1].endswith(":"):
        raise ValueError(f"{name} {shown_proxy(text)!r} has an empty port")
    return text


def shown_proxy(url: str) -> str:
    """``scheme://host:port`` of a proxy URL, with ``***@`` where credentials were; read from
    the text itself, so a password holding ``/``, ``?`` or ``#`` is masked whole too."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "http", url
    _, at, host = rest.rpartition("@")
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return f"{scheme}://{'***@' if at else ''}{host}"


def proxy_password(url: str) -> str | None:
    """The password of a proxy URL (percent-decoded), to be kept out of every message."""
    password = urlsplit(url).password
    return unquote(password) if password else None


def _environment(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name.lower()) or environ.get(name.upper())
    return value.strip() if value and value.strip() else None


def _bypass_entries(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(entry.strip().lower() for entry in value.split(",") if entry.strip())


def _host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6]:port
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return entry, None


def _bypassed(entry: str, host: str, port: int) -> bool:
    if entry == "*":
        return True
    name, wanted_port = _host_port(entry)
    if wanted_port is not None and wanted_port != port:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        try:
            return address in ipaddress.ip_network(name, strict=False)
        except ValueError:
            return False
    name = name.lstrip(".")
    return bool(name) and (host == name or host.endswith("." + name))


@attrs.frozen
class ProxyRoutes:
    """The proxies of one client, decided once at construction; ``proxy_for`` picks one."""

    explicit: str | None = None
    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_settings(
        cls, proxy: str | None, *, trust_env: bool, environ: Mapping[str, str]
    ) -> ProxyRoutes:
        """The routes for ``AsyncGalatea(proxy=..., trust_env=...)`` in ``environ``."""
        if proxy is not None:
            return cls(explicit=check_proxy_url(proxy))
        if not trust_env:
            return cls()
        every = _environment(environ, "all_proxy")
        http = _environment(environ, "http_proxy") or every
        https = _environment(environ, "https_proxy") or every
        return cls(
            http=check_proxy_url(http, "HTTP_PROXY") if http else None,
            https=check_proxy_url(https, "HTTPS_PROXY") if https else None,
            no_proxy=_bypass_entries(_environment(environ, "no_proxy")),
        )

    @property
    def proxies(self) -> tuple[str, ...]:
        """Every proxy URL a request may go through."""
        found = (self.explicit, self.http, self.https)
        return tuple(dict.fromkeys(url for url in found if url))

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL a request to ``url`` goes through, or ``None`` for a direct one."""
        if self.explicit is not None:
            return self.explicit
        if self.http is None and self.https is None:
            return None
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        proxy = self.https if scheme == "https" else self.http if scheme == "http" else None
        if proxy is None or not self.no_proxy:
            return proxy
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
        if any(_bypassed(entry, host, port) for entry in self.no_proxy):
            return None
        return proxy
