"""``python -m galatea_async.emulator``: serve the emulator from a shell until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import sys

import anyio

from galatea_async.emulator._emulator import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m galatea_async.emulator",
        description="Serve a local emulator of the Galatea API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="seed the demo lab with files and orders (default on)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=60.0,
        help="emulated seconds per real second (default 60); 0 for a clock that stands still",
    )
    return parser


async def _run(args: argparse.Namespace) -> None:
    scale = args.time_scale or None
    emulator = Emulator.demo(time_scale=scale) if args.demo else Emulator(time_scale=scale)
    async with emulator.serve(host=args.host, port=args.port) as base_url:
        print(f"Galatea emulator listening on {base_url}", flush=True)
        print(f"  GALATEA_BASE_URL={base_url}", flush=True)
        print(f"  GALATEA_API_KEY={emulator.api_key}", flush=True)
        print(f"  GALATEA_EMAIL={emulator.email}", flush=True)
        print(f"  GALATEA_PASSWORD={emulator.password}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await anyio.sleep_forever()


def main(argv: list[str] | None = None) -> int:
    """Run the emulator server; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_run, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
