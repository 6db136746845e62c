"""Serve N orders with added latency for the listing workload, from the emulator if it exists.

`python -m benchmarks._listing_server --port P --orders N --latency S --key-file F` writes
{"api_key", "server", "pid"} to F before serving on 127.0.0.1 (the pid lets the runner read
the server's own CPU seconds around each client run).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import uvicorn

from benchmarks._server import build_app

_FALLBACK_KEY = "bench-api-key"


def _emulator_app(orders: int, latency: float) -> tuple[Any, str] | None:
    """Return (ASGI app, api key) of an emulator holding `orders` orders, or None if unavailable."""
    try:
        from galatea_async.emulator import Emulator
    except ImportError:
        return None
    emulator = Emulator(seed=1)
    source = emulator.add_file("bench-sample.txt")["id"]
    for _ in range(orders):
        emulator.add_order(source)
    emulator.faults.latency(latency)
    return emulator.app, emulator.api_key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--key-file", type=Path, required=True)
    args = parser.parse_args()
    emulated = _emulator_app(args.orders, args.latency)
    if emulated is not None:
        app, key = emulated
        server = (
            f"galatea_async emulator ({args.orders:,} orders), {args.latency * 1000:.0f} ms latency"
        )
    else:
        app = build_app(Path("."), latency=args.latency, bandwidth=None, orders=args.orders)
        key = _FALLBACK_KEY
        server = (
            f"benchmarks/_server.py synthetic orders (emulator not available yet), "
            f"{args.latency * 1000:.0f} ms latency"
        )
    args.key_file.write_text(json.dumps({"api_key": key, "server": server, "pid": os.getpid()}))
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
