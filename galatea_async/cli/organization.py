"""``galatea org``: the caller's organization and the models it may order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import click

from galatea_async.cli._commands import show_result
from galatea_async.cli._context import CommandFailed, settings
from galatea_async.cli._output import Column, list_table
from galatea_async.cli._params import IdType, command_options

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["COMMANDS"]

MODEL_COLUMNS: list[Column] = [
    ("name", lambda model: model.name),
    ("description", lambda model: model.description),
    ("deprecated", lambda model: model.deprecated),
    ("pdf report types", lambda model: model.pdf_report_types),
]


@click.group("org")
def organization_group() -> None:
    """Your organization: details and available models."""


@organization_group.command("info")
@click.option(
    "--show-secret", is_flag=True, help="Also print the webhooks secret (hidden by default)."
)
@command_options
def info(show_secret: bool) -> None:
    """Show your organization; the webhooks secret stays hidden unless --show-secret (replaces
    octo get-organization-info)."""
    output = settings().output
    if show_secret:
        output.disclosure = attrs.evolve(output.disclosure, secrets=True)

    async def organization(client: AsyncGalatea) -> Any:
        me = await client.users.me()
        if me.org is None:
            raise CommandFailed("the API returned no organization for this account")
        return me.org

    show_result(organization)


@organization_group.command("models")
@click.option("--org-id", type=IdType("organization"), help="Default: your organization.")
@click.option("--include-deprecated", is_flag=True, help="Also list deprecated models.")
@command_options
def models(org_id: str | None, include_deprecated: bool) -> None:
    """List the models you can order (replaces octo get-organization-models)."""
    show_result(
        lambda client: client.organizations.models(org_id, hide_deprecated=not include_deprecated),
        lambda found: list_table(found, MODEL_COLUMNS),
    )


COMMANDS = [organization_group]
