"""``galatea config``: store credentials and defaults in the user's config file (mode 0600)."""

from __future__ import annotations

import click

from galatea_async.cli._config import (
    CONFIG_KEYS,
    read_config,
    remove_config,
    write_config,
)
from galatea_async.cli._context import CommandFailed, settings
from galatea_async.cli._output import detail_table
from galatea_async.cli._params import command_options

__all__ = ["COMMANDS"]


@click.group("config")
def config_group() -> None:
    """Store credentials and defaults (replaces octo set-config / get-config / clear-config)."""


def _ask_password(context: click.Context, _: click.Parameter, value: str | None) -> str | None:
    # `--password` with no value prompts without echoing, so the password stays out of the
    # shell history.
    if value == "":
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return value


@config_group.command("set")
@click.option("--api-key", metavar="KEY", help="API key.")
@click.option("--email", metavar="EMAIL", help="Email to log in with (instead of an API key).")
@click.option(
    "--password",
    metavar="PASSWORD",
    is_flag=False,
    flag_value="",
    callback=_ask_password,
    help="Password for --email; give the flag alone to be prompted without echo.",
)
@click.option("--base-url", metavar="URL", help="API host, or 'production' / 'sandbox'.")
@click.option("--sftp-host", metavar="HOST", help="SFTP host for large uploads.")
@click.option("--sftp-user", metavar="USER", help="SFTP user name.")
@click.option("--sftp-keyfile", metavar="PATH", help="Private key file for SFTP.")
@click.option("--sftp-known-hosts", metavar="PATH", help="known_hosts file to verify the host.")
@click.option("--download-folder", metavar="DIR", help="Default folder for downloads.")
@click.option("--unset", multiple=True, type=click.Choice(CONFIG_KEYS), help="Remove a setting.")
@command_options
def set_config(unset: tuple[str, ...], **values: str | None) -> None:
    """Store settings in the config file, keeping the ones not given."""
    current = settings()
    stored = read_config(current.path)
    given = {key: value for key, value in values.items() if value}
    if not given and not unset:
        raise click.UsageError("give at least one setting, e.g. --api-key KEY")
    stored.update(given)
    for key in unset:
        stored.pop(key, None)
    write_config(current.path, stored)
    _show_stored(stored)


@config_group.command("get")
@command_options
def get_config() -> None:
    """Show the stored settings; secrets only as set or not."""
    current = settings()
    stored = read_config(current.path)
    if not stored:
        raise CommandFailed(f"no settings stored in {current.path}; run `galatea config set`")
    _show_stored(stored)


@config_group.command("clear")
@command_options
def clear_config() -> None:
    """Delete the config file."""
    current = settings()
    removed = remove_config(current.path)
    current.output.done(
        {"path": str(current.path), "removed": removed},
        f"removed {current.path}" if removed else f"no config file at {current.path}",
    )


@config_group.command("path")
@command_options
def config_path_command() -> None:
    """Print where the config file is."""
    current = settings()
    if current.output.json_mode:
        current.output.print_json({"path": str(current.path)})
    else:
        click.echo(str(current.path))


def _show_stored(stored: dict[str, str]) -> None:
    # The output layer hides the values of api_key and password: they show as set, never as
    # themselves.
    current = settings()
    shown = {"path": str(current.path), **{key: stored.get(key) for key in CONFIG_KEYS}}
    current.output.result(shown, detail_table)


COMMANDS = [config_group]
