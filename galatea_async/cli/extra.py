"""Commands beyond the vendor's: ``demo``, ``emulator`` and ``webhooks verify``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from galatea_async._emulator_command import (
    EMULATOR_FLAGS,
    EXIT_CANNOT_LISTEN,
    EmulatorOptions,
    emulator_extra_hint,
)
from galatea_async.cli._context import (
    CommandFailed,
    Terminated,
    run_async,
    run_with_client,
    settings,
)
from galatea_async.cli._params import check_output_modes, command_options, json_lines_option
from galatea_async.cli._sync_view import finish_sync, run_sync

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea
    from galatea_async.emulator import Emulator

__all__ = ["COMMANDS"]

F = TypeVar("F", bound=Callable[..., Any])


def _demo_emulator() -> Emulator:
    try:
        from galatea_async.emulator import Emulator
    except ImportError as error:
        raise CommandFailed(emulator_extra_hint(error)) from None
    return Emulator.demo()


@click.command("demo")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("galatea-results"),
    show_default=True,
    help="Folder for the results.",
)
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@json_lines_option
@command_options
def demo(dest: Path, concurrency: int) -> None:
    """Start a demo server in-process and download all its completed results.

    Nothing leaves this machine: the server is the SDK's emulator on 127.0.0.1. Not on a
    terminal, it logs as download-all does (--jsonl for JSON events).
    """
    from galatea_async import AsyncGalatea

    check_output_modes()
    output = settings().output
    emulator = _demo_emulator()

    async def go() -> Any:
        async with emulator.serve_in_thread(port=0, prepare_results=True) as base_url:
            output.message(
                f"demo server on {base_url}: downloading every completed order's results "
                f"into {dest}/ ({concurrency} at a time)"
            )
            async with AsyncGalatea(emulator.api_key, base_url=base_url) as client:
                return await run_sync(client, output, dest, concurrency=concurrency)

    finish_sync(output, dest, run_async(go))


def _emulator_flag_options(function: F) -> F:
    """The standalone emulator's flags as click options (``--json`` is the CLI's own)."""
    defaults = EmulatorOptions()
    for flag in reversed(EMULATOR_FLAGS):
        default = getattr(defaults, flag.field)
        if flag.kind == "switch":
            name = f"{flag.name}/--no-{flag.name.removeprefix('--')}"
            option = click.option(name, flag.field, default=default, help=flag.help)
        elif flag.kind == "repeated":
            option = click.option(
                flag.name, flag.field, multiple=True, metavar=flag.metavar, help=flag.help
            )
        elif flag.kind == "value":
            option = click.option(
                flag.name,
                flag.field,
                type=flag.value_type,
                default=default,
                show_default=True,
                metavar=flag.metavar,
                help=flag.help,
            )
        else:
            continue
        function = option(function)
    return function


@click.command("emulator")
@_emulator_flag_options
@command_options
def emulator_command(**values: Any) -> None:
    """Serve the emulator until Ctrl-C, for trying the CLI or testing your code.

    The same flags and banner as `python -m galatea_async.emulator`; exits 1 when it cannot
    listen (a port in use, say).
    """
    output = settings().output
    try:
        options = EmulatorOptions(**values, json=output.json_mode)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        from galatea_async.emulator._standalone import CannotListen, serve_standalone
    except ImportError as error:
        raise CommandFailed(emulator_extra_hint(error)) from None

    async def serve() -> None:
        try:
            await serve_standalone(options)
        except CannotListen as problem:
            raise CommandFailed(str(problem), exit_code=EXIT_CANNOT_LISTEN) from None

    try:
        run_async(serve)
    except (KeyboardInterrupt, Terminated):
        output.message("emulator stopped")


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries: check their signature."""


@webhooks_group.command("verify")
@click.argument("body", type=click.File("rb"))
@click.option(
    "--signature",
    required=True,
    metavar="SIG",
    help="The X-Octopod-Signature header's value.",
)
@click.option(
    "--secret",
    metavar="SECRET",
    envvar="GALATEA_WEBHOOKS_SECRET",
    help="Webhooks secret (env GALATEA_WEBHOOKS_SECRET; default: fetched from the API).",
)
@click.option(
    "--sender-host",
    default="api.galatea.bio",
    show_default=True,
    help="API host that signed it (api.sandbox.galatea.bio for the sandbox).",
)
@command_options
def verify(body: Any, signature: str, secret: str | None, sender_host: str) -> None:
    """Check a webhook BODY file (or - for stdin) against its signature; exit 1 if invalid."""
    from galatea_async import webhooks

    raw = body.read()
    if secret is None:
        secret = run_with_client(_organization_secret)
    event = webhooks.parse_event(raw, signature, secret=secret, sender_host=sender_host)
    output = settings().output
    if output.json_mode:
        output.print_json({"valid": True, "event": event})
    else:
        output.result(event)
        output.message("signature valid")


async def _organization_secret(client: AsyncGalatea) -> str:
    me = await client.users.me()
    secret = me.org.webhooks_secret if me.org is not None else None
    if not secret:
        raise CommandFailed("the organization has no webhooks secret: pass --secret")
    return str(secret)


COMMANDS = [demo, emulator_command, webhooks_group]
