"""Serve an ASGI app with uvicorn on 127.0.0.1: in the running event loop, or from a thread
with an event loop of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import uvicorn
from starlette.types import ASGIApp

from galatea_async.emulator._middleware import ConnectionDropped

__all__ = ["serve_app", "serve_app_in_thread"]


class _QuietDrops(logging.Filter):
    """Hide the tracebacks of connections the emulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: object = None) -> None:
        try:
            await super().startup(sockets)  # type: ignore[arg-type]
        finally:
            self.ready.set()

    def install_signal_handlers(self) -> None:  # pragma: no cover - older uvicorn
        """Leave the host program's signal handlers alone."""


@asynccontextmanager
async def serve_app(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    background: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` over TCP while the block runs; yields ``http://HOST:PORT``.

    Runs on asyncio (as uvicorn does).

    ``port=0`` picks a free port. ``background`` (if given) runs alongside the server and is
    cancelled at shutdown. An address that cannot be listened on raises ``OSError`` with the
    operating system's ``errno`` (``EADDRINUSE`` for a port in use).
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=2,
    )
    server = _Server(config)
    listening = _listening_socket(host, port)
    quiet = _QuietDrops()
    error_log = logging.getLogger("uvicorn.error")
    error_log.addFilter(quiet)
    # Plain asyncio tasks, not a task group: the block may be entered and left in different
    # tasks (pytest-asyncio runs a fixture's setup and teardown that way).
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    helper: asyncio.Task[None] | None = None
    try:
        await server.ready.wait()
        if not server.started:
            raise OSError(f"the emulator could not listen on {host}:{port}")
        bound = listening.getsockname()[1]
        if background is not None:
            helper = asyncio.create_task(_as_coroutine(background))
        yield f"http://[{host}]:{bound}" if ":" in host else f"http://{host}:{bound}"
    finally:
        if helper is not None:
            helper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await helper
        server.should_exit = True
        with contextlib.suppress(SystemExit):  # uvicorn exits this way when its startup fails
            await serving
        error_log.removeFilter(quiet)
        listening.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``; the ``OSError`` says which address failed."""
    where = f"cannot listen on {host}:{port}"
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise socket.gaierror(error.errno, f"{where}: {error.strerror}") from None
    listening = socket.socket(family, kind, protocol)
    try:
        # As uvicorn does: a restarted emulator can take its port back at once.
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError as error:
        listening.close()
        raise OSError(error.errno, f"{where}: {error.strerror}") from None
    return listening


async def _as_coroutine(function: Callable[[], Awaitable[None]]) -> None:
    await function()


@asynccontextmanager
async def serve_app_in_thread(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    background: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` from a thread running its own asyncio loop; yields ``http://HOST:PORT``.

    The caller's event loop (asyncio or trio) only waits for the server to start and stop,
    so a client in the same process does not share its loop with the server. The server
    stops, and its thread ends, when the block exits.
    """
    started = threading.Event()
    served: dict[str, Any] = {}

    async def main() -> None:
        served["loop"], served["stop"] = asyncio.get_running_loop(), asyncio.Event()
        async with serve_app(
            app, host=host, port=port, log_level=log_level, background=background
        ) as url:
            served["url"] = url
            started.set()
            await served["stop"].wait()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # handed to the caller, who waits on `started`
            served["error"] = error
        finally:
            started.set()

    thread = threading.Thread(target=run, name="galatea-emulator", daemon=True)
    thread.start()
    await anyio.to_thread.run_sync(started.wait)
    try:
        if "url" not in served:
            error = served.get("error")
            raise OSError(f"the emulator could not serve on {host}:{port}") from error
        yield served["url"]
    finally:
        if "url" in served:
            with contextlib.suppress(RuntimeError):  # the loop already ended with its thread
                served["loop"].call_soon_threadsafe(served["stop"].set)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(thread.join)
