"""The API root a client talks to: named environments, loopback-only plain http, ``/api/v1/``."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx

__all__ = ["API_PREFIX", "NAMED_BASE_URLS", "PRODUCTION", "SANDBOX", "api_root", "named_base_url"]

PRODUCTION = "https://api.galatea.bio"
SANDBOX = "https://api.sandbox.galatea.bio"
API_PREFIX = "/api/v1/"

_LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain"})
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
