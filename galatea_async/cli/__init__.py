"""The ``galatea`` command: the Galatea API from a shell, for people and for scripts.

Exit codes: 0 success, 1 failure (an API error, or any item of a batch failed), 2 usage (a bad
option, a malformed id, an unknown result type or model, missing credentials), 130 interrupted.
Errors are one ``error:`` line on stderr, never a traceback (``GALATEA_DEBUG=1`` shows it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from galatea_async._console import missing_cli_extra

if (_problem := missing_cli_extra()) is not None:
    raise ImportError(_problem)

import click

from galatea_async.cli._context import Settings, error_json, error_report
from galatea_async.cli._loop import freeze_startup_objects
from galatea_async.cli._output import Output
from galatea_async.cli._params import JSON_HELP, PATIENT_DATA_HELP
from galatea_async.cli._shown import Disclosure, json_text

__all__ = ["cli", "main"]


def _version() -> str:
    try:
        return metadata.version("galatea-async")
    except metadata.PackageNotFoundError:
        return "unknown"


class _GalateaGroup(click.Group):
    """A click group whose errors become one line on stderr and a documented exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name or "galatea", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else 0
        except SystemExit:
            raise
        except click.exceptions.NoArgsIsHelpError as error:
            error.show()
            code = error.exit_code
        except BaseException as error:
            if os.environ.get("GALATEA_DEBUG"):
                raise
            message, code = error_report(error)
            if _wants_json(self, args):
                click.echo(json_text(error_json(error)), err=True)
            else:
                click.echo(f"error: {message}", err=True)
        if standalone_mode:
            sys.exit(code)
        return code


def _wants_json(group: click.Group, args: Sequence[str] | None) -> bool:
    """Whether ``--json`` is among the global options (those before the command's name)."""
    for word in sys.argv[1:] if args is None else args:
        if word in group.commands:
            return False
        if word == "--json":
            return True
    return False


@click.group("galatea", cls=_GalateaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--base-url",
    metavar="URL",
    help="API host (or 'production' / 'sandbox'). Env: GALATEA_BASE_URL.",
)
@click.option("--api-key", metavar="KEY", help="API key. Env: GALATEA_API_KEY.")
@click.option("--email", metavar="EMAIL", help="Log in with this email. Env: GALATEA_EMAIL.")
@click.option(
    "--password",
    metavar="PASSWORD",
    help="Password for --email (prompted if missing). Env: GALATEA_PASSWORD.",
)
@click.option(
    "--proxy",
    metavar="URL",
    help="Proxy for every request, e.g. http://user:pass@proxy:3128 "
    "(default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, minus NO_PROXY).",
)
@click.option(
    "--ca-bundle",
    metavar="PATH",
    type=click.Path(exists=True, dir_okay=False),
    help="CA certificates (PEM) to verify the API with, e.g. a private CA "
    "(default: SSL_CERT_FILE / SSL_CERT_DIR, else the usual trust store).",
)
@click.option(
    "--config",
    "config_file",
    metavar="PATH",
    envvar="GALATEA_CONFIG",
    help="Config file (default: the user config dir). Env: GALATEA_CONFIG.",
)
@click.option("--json", "json_mode", is_flag=True, help=JSON_HELP)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter.")
@click.option("--show-patient-data", is_flag=True, help=PATIENT_DATA_HELP)
@click.version_option(_version(), prog_name="galatea")
@click.pass_context
def cli(
    context: click.Context,
    base_url: str | None,
    api_key: str | None,
    email: str | None,
    password: str | None,
    proxy: str | None,
    ca_bundle: str | None,
    config_file: str | None,
    json_mode: bool,
    quiet: bool,
    show_patient_data: bool,
) -> None:
    """Drive the GalateaBio Ancestry API: files, orders, tags and results.

    Start with `galatea demo`, which downloads every result of a local demo server.
    """
    context.obj = Settings(
        output=Output(
            json_mode=json_mode,
            quiet=quiet,
            disclosure=Disclosure(patient_data=show_patient_data),
        ),
        flags={"base_url": base_url, "api_key": api_key, "email": email, "password": password},
        network={"proxy": proxy, "verify": ca_bundle},
        config_file=config_file,
    )


def _register_commands() -> None:
    from galatea_async.cli import config_cmd, extra, files, orders, organization, results, tags

    for module in (config_cmd, files, orders, tags, organization, results, extra):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def main(args: Sequence[str] | None = None) -> None:
    """The ``galatea`` console script."""
    freeze_startup_objects()
    cli.main(args=args, prog_name="galatea")
