"""``galatea tags``: create, list, show, rename, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from galatea_async.cli._context import run_with_client, settings
from galatea_async.cli._output import Column, list_table
from galatea_async.cli._params import IdType, command_options

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["COMMANDS"]

TAG_ID = IdType("tag")
TAG_COLUMNS: list[Column] = [("id", lambda tag: tag.id), ("name", lambda tag: tag.name)]


@click.group("tags")
def tags_group() -> None:
    """Tags to group orders by."""


@tags_group.command("create")
@click.argument("name")
@command_options
def create(name: str) -> None:
    """Create a tag (replaces octo create-tag)."""
    settings().output.result(run_with_client(lambda client: client.tags.create(name)))


@tags_group.command("list")
@click.option("--name", metavar="TEXT", help="Only tags with this name.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many tags.")
@command_options
def list_tags(name: str | None, limit: int | None) -> None:
    """List tags (replaces octo list-tags)."""

    async def go(client: AsyncGalatea) -> list[Any]:
        return [tag async for tag in client.tags.list(name=name, limit=limit)]

    settings().output.result(run_with_client(go), lambda tags: list_table(tags, TAG_COLUMNS))


@tags_group.command("get")
@click.argument("tag_id", type=TAG_ID)
@command_options
def get(tag_id: str) -> None:
    """Show one tag (replaces octo find-tag)."""
    settings().output.result(run_with_client(lambda client: client.tags.get(tag_id)))


@tags_group.command("rename")
@click.argument("tag_id", type=TAG_ID)
@click.argument("name")
@command_options
def rename(tag_id: str, name: str) -> None:
    """Rename a tag (replaces octo update-tag)."""
    settings().output.result(run_with_client(lambda client: client.tags.rename(tag_id, name)))


@tags_group.command("delete")
@click.argument("tag_id", type=TAG_ID)
@command_options
def delete(tag_id: str) -> None:
    """Delete a tag."""
    output = settings().output
    run_with_client(lambda client: client.tags.delete(tag_id))
    output.done({"deleted": tag_id}, f"deleted tag {tag_id}")


COMMANDS = [tags_group]
