"""The steps the commands share: call the API with a client, then print what it answered.

Each runs its call through ``run_with_client`` (a client closed afterwards, Ctrl-C and SIGTERM
handled) and prints through the run's ``Output`` (JSON with ``--json``, else a table or a line).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from galatea_async._progress import Progress
from galatea_async.cli._context import run_with_client, settings
from galatea_async.cli._output import Column, detail_table, list_table
from galatea_async.cli._params import IdType, command_options
from galatea_async.cli._progress import batch_display

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = [
    "download_options",
    "id_command",
    "show_done",
    "show_download",
    "show_listing",
    "show_result",
    "show_when_waited",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def id_command(
    group: click.Group, name: str, id_type: IdType
) -> Callable[[Callable[..., None]], click.Command]:
    """A command ``name`` of ``group`` taking one id (``<kind>_id``) first, the arguments
    decorated below it next, and the options every command takes."""
    argument = f"{id_type.kind.replace(' ', '_')}_id"

    def decorate(function: Callable[..., None]) -> click.Command:
        below = getattr(function, "__click_params__", [])
        if any(isinstance(parameter, click.Option) for parameter in below):
            # Their options would follow --json in the help, not precede it as elsewhere.
            raise TypeError(f"{name}: id_command takes further arguments, not options")
        with_options = click.argument(argument, type=id_type)(command_options(function))
        command = group.command(name)(with_options)
        # The arguments first, then the options, as when each is its own decorator.
        command.params.sort(key=lambda parameter: isinstance(parameter, click.Option))
        return command

    return decorate


def show_result(
    call: Callable[[AsyncGalatea], Awaitable[T]], render: Callable[[T], Any] = detail_table
) -> T:
    """Print what ``call(client)`` returns, drawn by ``render``; return it."""
    result = run_with_client(call)
    settings().output.result(result, render)
    return result


def show_listing(
    listing: Callable[[AsyncGalatea], AsyncIterator[Any]], columns: Sequence[Column]
) -> list[Any]:
    """Print every item ``listing(client)`` yields, a row each; return them."""

    async def collect(client: AsyncGalatea) -> list[Any]:
        return [item async for item in listing(client)]

    return show_result(collect, lambda items: list_table(items, columns))


def show_done(
    call: Callable[[AsyncGalatea], Awaitable[object]], done: str, id_type: IdType, identifier: str
) -> None:
    """Run ``call(client)``, then say so: ``{done: identifier}`` with ``--json``, else
    ``"<done> <kind> <identifier>"`` (``deleted file 123e…``)."""
    run_with_client(call)
    settings().output.done({done: identifier}, f"{done} {id_type.kind} {identifier}")


def show_when_waited(waiting_for: str, call: Callable[[AsyncGalatea], Awaitable[T]]) -> T:
    """Print what ``call(client)`` returns once it does, with a spinner saying ``waiting_for``
    meanwhile; return it."""
    output = settings().output

    async def wait(client: AsyncGalatea) -> T:
        with output.status(f"waiting for {waiting_for}"):
            return await call(client)

    return show_result(wait)


DownloadCall = Callable[["AsyncGalatea", str, Progress], Awaitable[Path]]


def download_options(function: F) -> F:
    """``--dest`` and ``--overwrite``, for a command that downloads one file."""
    dest = click.option(
        "--dest", metavar="PATH", help="Directory or file path (default: download folder)."
    )
    overwrite = click.option("--overwrite", is_flag=True, help="Replace an existing file.")
    return dest(overwrite(function))


def show_download(
    key: str, dest: str | None, download: DownloadCall, data: Mapping[str, Any]
) -> Path:
    """Run ``download(client, target, progress)`` into ``dest`` (default: the download folder),
    its progress shown under ``key``; with ``--json`` print ``data`` and the path."""
    current = settings()
    target = dest or current.setting("download_folder") or "."

    async def go(client: AsyncGalatea) -> Path:
        with batch_display(current.output, total_files=1) as display:
            path = await download(client, target, display.start(key, key))
            display.finished(key, path)
            return path

    path = run_with_client(go)
    if current.output.json_mode:
        current.output.print_json({**data, "path": str(path)})
    return path
