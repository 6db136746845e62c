"""The standalone emulator's command line: its flags, the options they make, its banner.

``python -m galatea_async.emulator`` and ``galatea emulator`` both build their parsers from
:data:`EMULATOR_FLAGS`, check what they parsed with :class:`EmulatorOptions` and print
:func:`banner_text` (or :func:`banner_json`). Nothing here needs the emulator extra, so the
``galatea`` command lists the flags, and names what to install, without it.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import socket
from typing import Literal
from urllib.parse import urlsplit

import attrs

__all__ = [
    "DEFAULT_PORT",
    "EMULATOR_FLAGS",
    "EXIT_CANNOT_LISTEN",
    "EmulatorBanner",
    "EmulatorFlag",
    "EmulatorOptions",
    "banner_json",
    "banner_text",
    "check_webhook_url",
    "emulator_extra_hint",
    "exposure_warning",
    "listen_failure",
    "missing_emulator_packages",
]

DEFAULT_PORT = 8765
# The exit status when the address cannot be listened on (a port in use, say): a failure,
# as the galatea command's exit codes call it.
EXIT_CANNOT_LISTEN = 1
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# What the emulator extra brings, and the module names each package imports as
# (python-multipart was imported as ``multipart`` before 0.0.13).
_EXTRA_MODULES = {
    "starlette": ("starlette",),
    "uvicorn": ("uvicorn",),
    "python-multipart": ("python_multipart", "multipart"),
}


def missing_emulator_packages() -> list[str]:
    """The packages of the emulator extra that cannot be imported."""
    return [
        package
        for package, modules in _EXTRA_MODULES.items()
        if all(importlib.util.find_spec(module) is None for module in modules)
    ]


def emulator_extra_hint(error: ImportError | None = None) -> str:
    """One sentence naming what the emulator misses and the command that installs it.

    ``error`` is what importing the emulator raised, for when every package of the extra is
    there and something deeper is missing (its ``name`` can be ``None``).
    """
    missing = missing_emulator_packages()
    if not missing and error is not None:
        missing = [error.name or str(error)]
    shown = ", ".join(missing) or "starlette, uvicorn, python-multipart"
    return f"the emulator needs its extra (missing: {shown}): pip install 'galatea-async[emulator]'"


def check_webhook_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL with a host; else ``ValueError`` saying so."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"webhook URL {url[:200]!r} is not an absolute http(s) URL: "
            "give one like http://127.0.0.1:8000/webhooks"
        )
    return url


def _check_port(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"--port {value} is not a port: use 1-65535, or 0 for a free one")


def _check_time_scale(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 0:  # also refuses NaN
        raise ValueError(
            f"--time-scale {value} is not allowed: use a positive number of emulated seconds "
            "per real second, or 0 for a clock that stands still"
        )


def _check_webhook_urls(
    instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    for url in value:
        check_webhook_url(url)


@attrs.frozen
class EmulatorOptions:
    """How to run the standalone emulator; ``ValueError`` names a value that cannot be used."""

    host: str = "127.0.0.1"
    port: int = attrs.field(default=DEFAULT_PORT, validator=_check_port)
    demo: bool = True
    time_scale: float = attrs.field(default=60.0, validator=_check_time_scale)
    json: bool = False
    webhook_urls: tuple[str, ...] = attrs.field(
        default=(), converter=tuple, validator=_check_webhook_urls
    )


@attrs.frozen
class EmulatorFlag:
    """One command-line flag: ``value`` takes an argument (``repeated``: any number of
    times), ``switch`` is an on/off pair (``--demo``/``--no-demo``), ``flag`` only turns on."""

    name: str
    field: str
    kind: Literal["value", "repeated", "switch", "flag"]
    help: str
    value_type: type[str] | type[int] | type[float] = str
    metavar: str = ""


EMULATOR_FLAGS: tuple[EmulatorFlag, ...] = (
    EmulatorFlag("--host", "host", "value", "Address to listen on.", metavar="HOST"),
    EmulatorFlag("--port", "port", "value", "Port to listen on; 0 picks a free one.", int, "PORT"),
    EmulatorFlag(
        "--demo",
        "demo",
        "switch",
        "Seed the demo lab with files, tags and 30+ orders (--no-demo: an empty lab).",
    ),
    EmulatorFlag(
        "--time-scale",
        "time_scale",
        "value",
        "Emulated seconds per real second; 0 for a clock that stands still.",
        float,
        "SCALE",
    ),
    EmulatorFlag("--json", "json", "flag", "Print the banner as one JSON object."),
    EmulatorFlag(
        "--webhook-url",
        "webhook_urls",
        "repeated",
        "POST signed webhook events to URL (repeatable).",
        metavar="URL",
    ),
)


@attrs.frozen
class EmulatorBanner:
    """What a running standalone emulator tells its user."""

    base_url: str
    api_key: str
    email: str
    password: str
    demo: bool
    time_scale: float | None  # None: the clock stands still
    webhook_urls: tuple[str, ...]
    sender_host: str


def _clock_text(time_scale: float | None) -> str:
    if time_scale is None:
        return "a clock that stands still"
    return f"a clock {time_scale:g}x real time"


def banner_text(banner: EmulatorBanner) -> str:
    """The lines printed once the emulator listens (the demo credentials on purpose)."""
    world = "the demo lab" if banner.demo else "an empty lab"
    if banner.webhook_urls:
        hooks = f"{', '.join(banner.webhook_urls)}, signed for {banner.sender_host}"
    else:
        hooks = "none (add with --webhook-url URL or POST /_emulator/webhooks)"
    return "\n".join(
        [
            f"Galatea emulator on {banner.base_url}: {world}, {_clock_text(banner.time_scale)}",
            f"  GALATEA_BASE_URL={banner.base_url}",
            f"  GALATEA_API_KEY={banner.api_key}",
            f"  GALATEA_EMAIL={banner.email}",
            f"  GALATEA_PASSWORD={banner.password}",
            f"Webhooks: {hooks}",
            f"Controls: {banner.base_url}/_emulator (faults, clock/advance, webhooks)",
            "Press Ctrl-C to stop.",
        ]
    )


def banner_json(banner: EmulatorBanner) -> str:
    """The banner as one line of JSON, for scripts."""
    return json.dumps(
        {
            "base_url": banner.base_url,
            "api_key": banner.api_key,
            "email": banner.email,
            "password": banner.password,
            "demo": banner.demo,
            "time_scale": banner.time_scale,
            "webhook_urls": list(banner.webhook_urls),
            "sender_host": banner.sender_host,
        }
    )


def exposure_warning(host: str) -> str | None:
    """A warning when ``host`` is reachable from other machines, else ``None``."""
    if host in _LOOPBACK_HOSTS:
        return None
    return f"serving on {host}: anyone who can reach it can use the emulator's API key"


def listen_failure(host: str, port: int, error: OSError) -> str:
    """Why the emulator cannot listen on ``host:port``, and what to pass instead."""
    where = f"cannot listen on {host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return f"{where}: the port is in use; stop what uses it, or pass --port 0 for a free one"
    if error.errno == errno.EACCES:
        return f"{where}: permission denied; pass a port above 1023, or --port 0 for a free one"
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return f"{where}: {host} is not an address of this machine; pass --host 127.0.0.1"
    return f"{where}: {error.strerror or error}"
