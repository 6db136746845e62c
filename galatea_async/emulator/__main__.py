"""``python -m galatea_async.emulator``: serve the emulator from a shell until Ctrl-C.

The flags are ``galatea emulator``'s (:data:`~galatea_async._emulator_command.EMULATOR_FLAGS`);
errors are one ``error:`` line on stderr: exit 2 for a bad flag, 1 when it cannot listen.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import anyio

from galatea_async._emulator_command import (
    EMULATOR_FLAGS,
    EXIT_CANNOT_LISTEN,
    EmulatorOptions,
)
from galatea_async.emulator._standalone import CannotListen, serve_standalone

__all__ = ["main"]

_PROGRAM = "python -m galatea_async.emulator"
_EXIT_USAGE = 2


class _UsageProblem(Exception):
    """A flag that cannot be used; the message names it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageProblem(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=_PROGRAM, description="Serve a local emulator of the Galatea API.")
    defaults = EmulatorOptions()
    for flag in EMULATOR_FLAGS:
        default = getattr(defaults, flag.field)
        shown = f" (default: {default})" if flag.kind == "value" else ""
        options: dict[str, Any] = {"dest": flag.field, "help": flag.help + shown}
        if flag.kind == "switch":
            options.update(action=argparse.BooleanOptionalAction, default=default)
        elif flag.kind == "flag":
            options.update(action="store_true")
        else:
            options.update(type=flag.value_type, metavar=flag.metavar, default=default)
            if flag.kind == "repeated":
                options.update(action="append", default=[])
        parser.add_argument(flag.name, **options)
    return parser


def _parse_arguments(argv: Sequence[str] | None = None) -> EmulatorOptions:
    """The options ``argv`` asks for; ``_UsageProblem`` names a flag that cannot be used."""
    values = vars(_parser().parse_args(argv))
    try:
        return EmulatorOptions(**values)
    except ValueError as error:
        raise _UsageProblem(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator server until Ctrl-C; returns the exit status."""
    try:
        options = _parse_arguments(argv)
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(serve_standalone, options)
    except _UsageProblem as problem:
        print(f"error: {problem} (see '{_PROGRAM} --help')", file=sys.stderr)
        return _EXIT_USAGE
    except CannotListen as problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    return 0


if __name__ == "__main__":
    sys.exit(main())
