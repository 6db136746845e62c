"""What the CLI prints: JSON for scripts, tables and progress bars for people."""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from galatea_async._http._redact import SECRET_KEYS
from galatea_async.cli._shown import Disclosure, json_text, printable, to_jsonable

__all__ = [
    "Column",
    "DetailTable",
    "ListTable",
    "Output",
    "detail_table",
    "display_path",
    "list_table",
    "minute_text",
]

# A column of a listing: its header and how to get the cell's value from an item (wrap the
# getter in ``patient`` when the value is patient data).
Column = tuple[str, Callable[[Any], object]]

# What a table shows for a secret that is not set (JSON says null).
_NOT_SET = "(not set)"
# Wide enough that ids and file names are not cut when the output goes to a file or a pipe.
_PIPE_WIDTH = 200


def _cell_text(value: object, disclosure: Disclosure) -> str:
    plain = to_jsonable(value, disclosure)
    if plain is None:
        return ""
    if isinstance(plain, list):
        return ", ".join(_cell_text(item, disclosure) for item in plain)
    if isinstance(plain, dict):
        return json_text(plain)
    return str(plain)


def _cell(value: object, disclosure: Disclosure) -> Text:
    # Text, not a markup string: "[hidden]" (or a server's "[bold]") is shown as written.
    return Text(printable(_cell_text(value, disclosure)))


@attrs.frozen
class ListTable:
    """A table with one row per item, drawn once the run's ``Disclosure`` is known."""

    items: Sequence[Any]
    columns: Sequence[Column]
    title: str | None = None

    def render(self, disclosure: Disclosure) -> Table:
        table = Table(title=self.title, show_lines=False, header_style="bold")
        for header, _ in self.columns:
            table.add_column(header, overflow="fold")
        for item in self.items:
            table.add_row(*(_cell(get(item), disclosure) for _, get in self.columns))
        return table


@attrs.frozen
class DetailTable:
    """A two-column field/value table of one object."""

    value: Any

    def render(self, disclosure: Disclosure) -> Table:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        plain = to_jsonable(self.value, disclosure)
        if not isinstance(plain, dict):
            plain = {"value": plain}
        for key, item in plain.items():
            secret_not_set = key.lower() in SECRET_KEYS and item in (None, "")
            shown = Text(_NOT_SET) if secret_not_set else _cell(item, disclosure)
            table.add_row(Text(printable(key)), shown)
        return table


def list_table(
    items: Sequence[Any], columns: Sequence[Column], *, title: str | None = None
) -> ListTable:
    """A table with one row per item."""
    return ListTable(items, columns, title)


def detail_table(value: Any) -> DetailTable:
    """A two-column field/value table of one object."""
    return DetailTable(value)


def minute_text(value: datetime.datetime | None) -> str | None:
    """A table cell's time: ``YYYY-MM-DD HH:MM``."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M")


def display_path(path: Path) -> Path:
    """``path`` relative to the working directory when it is inside it, for shorter lines."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


@attrs.define
class Output:
    """How one command run prints: JSON or tables, what it may disclose, whether progress is
    shown. Everything printed goes through here, so nothing from the server reaches the
    terminal unescaped."""

    json_mode: bool = False
    quiet: bool = False
    # ``--jsonl``: a run's events, one JSON object per line, as they happen.
    json_lines: bool = False
    disclosure: Disclosure = Disclosure()
    stdout: Console = attrs.field(factory=lambda: _console(stderr=False))
    stderr: Console = attrs.field(factory=lambda: _console(stderr=True))

    @property
    def interactive(self) -> bool:
        """Whether to draw progress bars and spinners: people watching, no JSON, not quiet."""
        return (
            not self.json_mode
            and not self.json_lines
            and not self.quiet
            and self.stderr.is_terminal
            and _isatty(sys.stdout)
        )

    def result(
        self,
        value: Any,
        render: Callable[[Any], RenderableType | ListTable | DetailTable] = detail_table,
    ) -> None:
        """Print a command's result: JSON in ``--json`` mode, else ``render(value)``."""
        if self.json_mode:
            self.print_json(value)
            return
        shown = render(value)
        if isinstance(shown, (ListTable, DetailTable)):
            shown = shown.render(self.disclosure)
        self.stdout.print(shown)

    def print_json(self, value: Any) -> None:
        """Print ``value`` as indented JSON on stdout, with what may not be shown hidden."""
        text = json_text(to_jsonable(value, self.disclosure), indent=2)
        # Written past rich, which would wrap or highlight it.
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def print_json_line(self, value: Any) -> None:
        """Print ``value`` as one line of JSON on stdout, flushed at once (``--jsonl``)."""
        sys.stdout.write(json_text(to_jsonable(value, self.disclosure)) + "\n")
        sys.stdout.flush()

    def print_data(self, value: Any) -> None:
        """Print decoded JSON data: as ``print_json`` with ``--json``, else highlighted."""
        if self.json_mode:
            self.print_json(value)
        else:
            self.stdout.print(JSON(json_text(to_jsonable(value, self.disclosure))))

    def done(self, data: Mapping[str, Any], text: str) -> None:
        """Report a finished action: ``data`` with ``--json``, else ``text`` for people."""
        if self.json_mode:
            self.print_json(data)
        else:
            self.message(text)

    def message(self, text: str) -> None:
        """A line for people on stdout; silent with ``--json``, ``--jsonl`` or ``--quiet``."""
        if not self.json_mode and not self.json_lines and not self.quiet:
            self.stdout.print(printable(text), markup=False, highlight=False, soft_wrap=True)

    def warn(self, text: str) -> None:
        """A ``warning:`` line on stderr."""
        if not self.quiet:
            self.stderr.print(
                f"warning: {printable(text)}", markup=False, highlight=False, soft_wrap=True
            )

    def failure(self, text: str) -> None:
        """A line about a failed item on stderr (not with ``--json``)."""
        if not self.json_mode:
            self.stderr.print(printable(text), markup=False, highlight=False, soft_wrap=True)

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner with ``text`` while the block runs, on terminals only."""
        if not self.interactive:
            yield
            return
        with self.stderr.status(Text(printable(text))):
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
