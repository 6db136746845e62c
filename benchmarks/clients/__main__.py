"""Run one client once: `python -m benchmarks.clients SPEC.json RESULT.json`."""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks._measure import peak_rss_kib
from benchmarks.clients import Spec, Unavailable, _loop_lag

_MODULES = {
    "vendor_requests": "benchmarks.clients.vendor_requests",
    "aiohttp_hand": "benchmarks.clients.aiohttp_hand",
    "aiohttp_durable": "benchmarks.clients.aiohttp_durable",
    "httpx_raw": "benchmarks.clients.httpx_raw",
    "galatea_async": "benchmarks.clients.galatea_sdk",
    "galatea_async_nofsync": "benchmarks.clients.galatea_sdk",
    "galatea_async_rerun": "benchmarks.clients.galatea_sdk",
    "galatea_async_listing": "benchmarks.clients.galatea_sdk",
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    spec = Spec.load(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    result: dict[str, Any] = {}
    try:
        module = importlib.import_module(_MODULES[spec.client])
        function = getattr(
            module, {"download": "download", "list": "list_orders"}.get(spec.mode, spec.mode)
        )
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            prepare(spec)  # import checks outside the timed section
        cpu0, wall0 = _cpu(), time.perf_counter()
        items = function(spec)
        result["wall"] = time.perf_counter() - wall0
        result["cpu"] = _cpu() - cpu0
        if items is not None:
            result["items"] = items
        result["peak_rss_kib"] = peak_rss_kib()
        result.update(_loop_lag.summary())
    except Unavailable as exc:
        result = {"unavailable": str(exc)}
    except BaseException as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"[:400]}
        traceback.print_exc()
    out.write_text(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
