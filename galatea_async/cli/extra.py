"""Commands beyond the vendor's: ``demo``, ``emulator`` and ``webhooks verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import click

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


def _demo_emulator() -> Emulator:
    try:
        from galatea_async.emulator import Emulator
    except ImportError as error:
        raise CommandFailed(
            f"the emulator needs its extra ({error.name} is missing): "
            "pip install 'galatea-async[emulator]'"
        ) from None
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


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@command_options
def emulator_command(host: str, port: int) -> None:
    """Serve the demo emulator until Ctrl-C, for trying the CLI or testing your code."""
    output = settings().output
    emulator = _demo_emulator()

    if host not in ("127.0.0.1", "localhost", "::1"):
        output.warn(
            f"serving on {host}: anyone who can reach it can use the published demo API key"
        )

    async def go() -> None:
        async with emulator.serve(host=host, port=port) as base_url:
            details = {
                "base_url": base_url,
                "api_key": emulator.api_key,
                "email": emulator.email,
                "password": emulator.password,
            }
            if output.json_mode:
                # Demo credentials, printed on purpose; written directly so nothing hides them.
                sys.stdout.write(json.dumps(details) + "\n")
                sys.stdout.flush()
            else:
                click.echo(f"Galatea emulator on {base_url} (Ctrl-C to stop)")
                click.echo(f"  export GALATEA_BASE_URL={base_url}")
                click.echo(f"  export GALATEA_API_KEY={emulator.api_key}")
                click.echo(f"  or log in as {emulator.email} / {emulator.password}")
            await anyio.sleep_forever()

    try:
        run_async(go)
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
