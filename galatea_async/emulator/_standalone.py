"""The standalone emulator: built from its command-line options, served until stopped.

Both ``python -m galatea_async.emulator`` and ``galatea emulator`` run
:func:`serve_standalone`; they differ only in how they parse flags and report errors.
"""

from __future__ import annotations

import contextlib
import sys

import anyio

from galatea_async._emulator_command import (
    EmulatorBanner,
    EmulatorOptions,
    banner_json,
    banner_text,
    exposure_warning,
    listen_failure,
)
from galatea_async.emulator._emulator import Emulator

__all__ = ["CannotListen", "build_emulator", "serve_standalone"]


class CannotListen(Exception):
    """The emulator could not listen where it was told to; the message says what to pass."""


def build_emulator(options: EmulatorOptions) -> Emulator:
    """The demo lab (or an empty one) on the clock and with the webhooks ``options`` name."""
    scale = options.time_scale or None
    if options.demo:
        return Emulator.demo(time_scale=scale, webhook_urls=options.webhook_urls)
    return Emulator(time_scale=scale, webhook_urls=options.webhook_urls)


def _banner(emulator: Emulator, options: EmulatorOptions, base_url: str) -> EmulatorBanner:
    return EmulatorBanner(
        base_url=base_url,
        api_key=emulator.api_key,
        email=emulator.email,
        password=emulator.password,
        demo=options.demo,
        time_scale=emulator.clock.time_scale,
        webhook_urls=tuple(emulator.webhook_urls),
        sender_host=emulator.sender_host,
    )


async def serve_standalone(options: EmulatorOptions) -> None:
    """Serve the emulator ``options`` describe until cancelled, its banner on stdout.

    The demo credentials are printed on purpose: they are published, and the emulator is
    local. Raises :class:`CannotListen` when the address cannot be listened on.
    """
    warning = exposure_warning(options.host)
    if warning is not None:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    emulator = build_emulator(options)
    async with contextlib.AsyncExitStack() as stack:
        try:
            base_url = await stack.enter_async_context(
                emulator.serve(host=options.host, port=options.port)
            )
        except OSError as error:
            raise CannotListen(listen_failure(options.host, options.port, error)) from None
        banner = _banner(emulator, options, base_url)
        print(banner_json(banner) if options.json else banner_text(banner), flush=True)
        await anyio.sleep_forever()
