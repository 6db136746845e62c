"""What the CLI prints: JSON for scripts, tables and progress bars for people."""

from __future__ import annotations

import contextlib
import datetime
import enum
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from galatea_async._http._redact import SECRET_KEYS

__all__ = ["Column", "Output", "detail_table", "list_table", "to_jsonable"]

# A column of a listing: its header and how to get the cell's value from an item.
Column = tuple[str, Callable[[Any], object]]

_HIDDEN = "[hidden]"
# What a table shows for a secret that is not set (JSON says null).
_NOT_SET = "(not set)"
# Wide enough that ids and file names are not cut when the output goes to a file or a pipe.
_PIPE_WIDTH = 200


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types, with every secret field's value hidden."""
    return _hide_secrets(_plain(value))


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict") and attrs.has(type(value)):
        # The models' own JSON form (the API's field names, ``extra`` folded back in).
        return _plain(value.to_dict())
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=False))
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (Path, uuid.UUID)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _hide_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                _HIDDEN
                if key.lower() in SECRET_KEYS and item not in (None, "")
                else _hide_secrets(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_hide_secrets(item) for item in value]
    return value


def _cell_text(value: object) -> str:
    plain = to_jsonable(value)
    if plain is None:
        return ""
    if isinstance(plain, list):
        return ", ".join(_cell_text(item) for item in plain)
    if isinstance(plain, dict):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def _cell(value: object) -> Text:
    # Text, not a markup string: "[hidden]" (or a server's "[bold]") is shown as written.
    return Text(_cell_text(value))


def list_table(
    items: Sequence[Any], columns: Sequence[Column], *, title: str | None = None
) -> Table:
    """A table with one row per item."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for header, _ in columns:
        table.add_column(header, overflow="fold")
    for item in items:
        table.add_row(*(_cell(get(item)) for _, get in columns))
    return table


def detail_table(value: Any) -> Table:
    """A two-column field/value table of one object."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    plain = to_jsonable(value)
    if not isinstance(plain, dict):
        plain = {"value": plain}
    for key, item in plain.items():
        secret_not_set = key.lower() in SECRET_KEYS and item in (None, "")
        table.add_row(Text(key), Text(_NOT_SET) if secret_not_set else _cell(item))
    return table


@attrs.define
class Output:
    """How one command run prints: JSON or tables, and whether progress is shown."""

    json_mode: bool = False
    quiet: bool = False
    stdout: Console = attrs.field(factory=lambda: _console(stderr=False))
    stderr: Console = attrs.field(factory=lambda: _console(stderr=True))

    @property
    def interactive(self) -> bool:
        """Whether to draw progress bars and spinners: people watching, no JSON, not quiet."""
        return (
            not self.json_mode
            and not self.quiet
            and self.stderr.is_terminal
            and _isatty(sys.stdout)
        )

    def result(self, value: Any, render: Callable[[Any], RenderableType] | None = None) -> None:
        """Print a command's result: JSON in ``--json`` mode, else ``render(value)``."""
        if self.json_mode:
            self.print_json(value)
            return
        self.stdout.print(render(value) if render is not None else detail_table(value))

    def print_json(self, value: Any) -> None:
        """Print ``value`` as indented JSON on stdout, secrets hidden."""
        text = json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)
        # Written past rich, which would wrap or highlight it.
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def done(self, data: Mapping[str, Any], text: str) -> None:
        """Report a finished action: ``data`` with ``--json``, else ``text`` for people."""
        if self.json_mode:
            self.print_json(data)
        else:
            self.message(text)

    def message(self, text: str) -> None:
        """A line for people on stdout; silent with ``--json`` or ``--quiet``."""
        if not self.json_mode and not self.quiet:
            self.stdout.print(text, markup=False, highlight=False, soft_wrap=True)

    def warn(self, text: str) -> None:
        """A ``warning:`` line on stderr."""
        if not self.quiet:
            self.stderr.print(f"warning: {text}", markup=False, highlight=False, soft_wrap=True)

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner with ``text`` while the block runs, on terminals only."""
        if not self.interactive:
            yield
            return
        with self.stderr.status(text):
            yield


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPE_WIDTH
    return console
