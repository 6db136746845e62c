"""``galatea tags``: create, list, show, rename, delete."""

from __future__ import annotations

import click

from galatea_async.cli._commands import id_command, show_done, show_listing, show_result
from galatea_async.cli._output import Column
from galatea_async.cli._params import IdType, command_options

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
    show_result(lambda client: client.tags.create(name))


@tags_group.command("list")
@click.option("--name", metavar="TEXT", help="Only tags with this name.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many tags.")
@command_options
def list_tags(name: str | None, limit: int | None) -> None:
    """List tags (replaces octo list-tags)."""
    show_listing(lambda client: client.tags.list(name=name, limit=limit), TAG_COLUMNS)


@id_command(tags_group, "get", TAG_ID)
def get(tag_id: str) -> None:
    """Show one tag (replaces octo find-tag)."""
    show_result(lambda client: client.tags.get(tag_id))


@id_command(tags_group, "rename", TAG_ID)
@click.argument("name")
def rename(tag_id: str, name: str) -> None:
    """Rename a tag (replaces octo update-tag)."""
    show_result(lambda client: client.tags.rename(tag_id, name))


@id_command(tags_group, "delete", TAG_ID)
def delete(tag_id: str) -> None:
    """Delete a tag."""
    show_done(lambda client: client.tags.delete(tag_id), "deleted", TAG_ID, tag_id)


COMMANDS = [tags_group]
