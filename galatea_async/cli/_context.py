"""One command run's settings: credentials by precedence, the client, the async runner, errors.

Credentials come from the first of these layers that holds any: command-line flags, then the
``GALATEA_*`` environment variables, then the config file. Within that layer an API key wins
over email and password.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import anyio
import attrs
import click
import httpx

from galatea_async._base_url import named_base_url
from galatea_async._http._redact import redact_text, register_secret
from galatea_async.cli._config import ConfigFileError, config_path, read_config
from galatea_async.cli._loop import LoopChoiceError, loop_options, uvloop_installed
from galatea_async.cli._output import Output
from galatea_async.cli._shown import printable, without_url_credentials

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = [
    "CommandFailed",
    "Settings",
    "error_json",
    "error_report",
    "run_async",
    "run_with_client",
    "settings",
]

T = TypeVar("T")

ENVIRONMENT = {
    "api_key": "GALATEA_API_KEY",
    "email": "GALATEA_EMAIL",
    "password": "GALATEA_PASSWORD",
    "base_url": "GALATEA_BASE_URL",
}


class CommandFailed(Exception):
    """A command that ran but failed: one ``error:`` line, exit ``exit_code`` (1 by default)."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@attrs.define
class Settings:
    """The global options of one invocation, resolved lazily into a client."""

    output: Output
    flags: dict[str, str | None] = attrs.field(factory=dict)
    # ``proxy=`` and ``verify=`` for the client, when the user gave them (else its defaults).
    network: dict[str, str | None] = attrs.field(factory=dict)
    config_file: str | None = None
    _config: dict[str, str] | None = None

    @property
    def path(self) -> Path:
        """The config file this run reads and writes."""
        return config_path(self.config_file)

    def config(self) -> dict[str, str]:
        """The config file's values (read once)."""
        if self._config is None:
            try:
                self._config = read_config(self.path)
            except ConfigFileError as error:
                raise CommandFailed(str(error), exit_code=2) from None
        return self._config

    def setting(self, key: str) -> str | None:
        """A non-credential setting: flag, else environment, else config file."""
        flag = self.flags.get(key)
        if flag:
            return flag
        variable = ENVIRONMENT.get(key)
        if variable and os.environ.get(variable):
            return os.environ[variable]
        return self.config().get(key)

    def base_url(self) -> str | None:
        """The API base URL, with ``production`` and ``sandbox`` as names for the two hosts."""
        value = self.setting("base_url")
        return named_base_url(value) if value else value

    def credentials(self) -> dict[str, str]:
        """``api_key`` or ``email`` and ``password``, from the first layer that has any."""
        layers: list[Mapping[str, str | None]] = [
            self.flags,
            {key: os.environ.get(variable) for key, variable in ENVIRONMENT.items()},
            self.config(),
        ]
        for index, layer in enumerate(layers):
            if layer.get("api_key"):
                return {"api_key": str(layer["api_key"])}
            email = layer.get("email")
            if email:
                password = next(
                    (str(lower["password"]) for lower in layers[index:] if lower.get("password")),
                    None,
                )
                return {"email": email, "password": password or _prompt_password(email)}
        raise CommandFailed(
            "no credentials: pass --api-key, set GALATEA_API_KEY, "
            "or store one with `galatea config set --api-key KEY`",
            exit_code=2,
        )

    def client(self) -> AsyncGalatea:
        """A new client for the resolved credentials and base URL."""
        from galatea_async import AsyncGalatea

        credentials = self.credentials()
        _register_url_credentials(self.network.get("proxy"))
        # Only what the user gave: the client's own defaults read the environment.
        network: dict[str, Any] = {name: value for name, value in self.network.items() if value}
        return AsyncGalatea(
            credentials.get("api_key"),
            email=credentials.get("email"),
            password=credentials.get("password"),
            base_url=self.base_url(),
            **network,
        )


def _register_url_credentials(url: str | None) -> None:
    # So that an error quoting them apart from the URL (a user name alone) still hides them.
    if url:
        parts = urlsplit(url)
        for value in (parts.username, parts.password):
            register_secret(unquote(value) if value else None)


def _prompt_password(email: str) -> str:
    if not sys.stdin.isatty():
        raise CommandFailed(
            f"no password for {email}: pass --password, set GALATEA_PASSWORD "
            "or store it with `galatea config set --password`",
            exit_code=2,
        )
    return str(click.prompt(f"Password for {email}", hide_input=True))


def settings() -> Settings:
    """The current invocation's settings."""
    found = click.get_current_context().find_object(Settings)
    if found is None:  # pragma: no cover - the group always creates one
        raise RuntimeError("galatea commands must run under the galatea group")
    return found


class Terminated(Exception):
    """The process got SIGTERM; the command was cancelled cleanly (exit 143)."""


def run_async(function: Callable[[], Awaitable[T]]) -> T:
    """Run an async function to completion from a (sync) click command.

    Ctrl-C (SIGINT) and SIGTERM (``kill``, ``timeout``, a scheduler) cancel it, so downloads in
    flight remove their temporary files instead of dying mid-write; then ``KeyboardInterrupt``
    or ``Terminated`` is raised. Ctrl-C is caught here rather than left to the event loop:
    Python 3.10's asyncio let it surface as a bare ``CancelledError``. The loop is uvloop when
    installed (``_loop.py``).
    """

    async def main() -> T:
        outcome: list[T] = []
        received: list[signal.Signals] = []
        async with anyio.create_task_group() as group:
            if _can_watch_signals():
                group.start_soon(_cancel_on_signal, group.cancel_scope, received)
            outcome.append(await function())
            group.cancel_scope.cancel()
        if received == [signal.SIGTERM]:
            raise Terminated
        if received:
            raise KeyboardInterrupt
        return outcome[0]

    try:
        options = loop_options(os.environ, uvloop_installed=uvloop_installed())
    except LoopChoiceError as error:
        raise CommandFailed(str(error), exit_code=2) from None
    return anyio.run(main, backend="asyncio", backend_options=options)


def _can_watch_signals() -> bool:
    # Signal handlers can only be installed from the main thread, and not on Windows.
    return sys.platform != "win32" and threading.current_thread() is threading.main_thread()


async def _cancel_on_signal(scope: anyio.CancelScope, received: list[signal.Signals]) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for number in signals:
            received.append(signal.Signals(number))
            scope.cancel()
            return


def run_with_client(function: Callable[[AsyncGalatea], Awaitable[T]]) -> T:
    """Run ``function(client)`` with a client that is closed afterwards."""
    current = settings()

    async def main() -> T:
        async with current.client() as client:
            return await function(client)

    return run_async(main)


def error_report(error: BaseException) -> tuple[str, int]:
    """The one line to print for an error that ended a command, and the exit code."""
    error = _leaf(error)
    message, code = _describe(error)
    return printable(redact_text(without_url_credentials(message))), code


def error_json(error: BaseException) -> dict[str, Any]:
    """``{"error": {"type", "message", "status_code"}}`` for ``--json``, and nothing else."""
    leaf = _leaf(error)
    message, _ = error_report(leaf)
    status_code = getattr(leaf, "status_code", None)
    return {
        "error": {
            "type": type(leaf).__name__,
            "message": message,
            "status_code": status_code if isinstance(status_code, int) else None,
        }
    }


def _leaf(error: BaseException) -> BaseException:
    # A task group wraps what went wrong; the first real failure is what the user needs.
    while True:
        inner: Any = getattr(error, "exceptions", None)
        if not inner:
            return error
        error = inner[0]


def _describe(error: BaseException) -> tuple[str, int]:
    from galatea_async import errors

    if isinstance(error, click.UsageError):
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
        return f"{error.format_message()}{hint}", 2
    if isinstance(error, click.ClickException):
        return error.format_message(), error.exit_code
    if isinstance(error, CommandFailed):
        return error.message, error.exit_code
    if isinstance(error, click.Abort):
        interrupted = isinstance(error.__cause__, KeyboardInterrupt)
        return "interrupted" if interrupted else "aborted", 130 if interrupted else 1
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(error, Terminated):
        return "terminated", 143
    if isinstance(error, errors.APIConnectionError):
        unreachable = connection_failure(error)
        if unreachable is not None:
            return unreachable, 1
    if isinstance(error, errors.AuthenticationError):
        return (
            f"{error.message}; check the API key or password "
            "(`galatea config get` shows which are set)",
            1,
        )
    if isinstance(error, errors.GalateaError):
        return error.message, 1
    if isinstance(error, FileExistsError):
        if error.filename:
            return f"{error.filename} already exists; pass --overwrite to replace it", 1
        return str(error).replace("overwrite=True", "--overwrite"), 1
    if isinstance(error, FileNotFoundError):
        return f"no such file or directory: {error.filename or error}", 1
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror or error}{where}", 1
    if isinstance(error, ValueError):
        return str(error), 2
    return (
        f"unexpected {type(error).__name__}: {error} "
        "(set GALATEA_DEBUG=1 to see the traceback, and please report it)",
        1,
    )


def connection_failure(error: BaseException) -> str | None:
    """ "could not connect to HOST:PORT: why" for a failed connect, else ``None``.

    Said from the request's URL and the operating system's reason at the root of the chain,
    without the transport's own wording (aiohttp's ``ssl:default [...]``, anyio's "All
    connection attempts failed").
    """
    transport_error = next(
        (e for e in _chain(error) if isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout))),
        None,
    )
    if transport_error is None:
        return None
    try:
        url = transport_error.request.url
    except RuntimeError:  # an httpx error raised without its request
        return None
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return (
        f"could not connect to {url.scheme}://{host}:{port}: {_connect_reason(transport_error)}; "
        "check --base-url (or GALATEA_BASE_URL) and that the server is running"
    )


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _connect_reason(error: BaseException) -> str:
    chain = _chain(error)
    if isinstance(error, httpx.ConnectTimeout):
        return "timed out"
    for cause in reversed(chain):  # the root first: the operating system's own reason
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "its TLS certificate could not be verified"
        if isinstance(cause, ssl.SSLError):
            return "the TLS handshake failed"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return "timed out"
        if isinstance(cause, OSError) and isinstance(cause.errno, int) and cause.errno > 0:
            return os.strerror(cause.errno).lower()
    return "the connection failed"
