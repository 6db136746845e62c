"""A local, stateful stand-in for the Galatea API (the ``emulator`` extra).

```python
from galatea_async.emulator import Emulator

emulator = Emulator()                      # manual clock: tests call emulator.clock.advance()
async with emulator.serve() as base_url:   # "http://127.0.0.1:PORT"
    ...
```

``Emulator.demo()`` is seeded with a lab, files, tags and completed orders; ``emulator.app``
is the ASGI app (for ``httpx.ASGITransport``); ``emulator.faults`` injects failures.
"""

from __future__ import annotations

from galatea_async._emulator_command import emulator_extra_hint, missing_emulator_packages

# Name the extra rather than fail deep inside starlette or uvicorn.
if _missing := missing_emulator_packages():
    raise ImportError(emulator_extra_hint(), name=_missing[0])

from galatea_async.emulator._blob import Blob
from galatea_async.emulator._clock import Clock
from galatea_async.emulator._demo import DEMO_API_KEY, DEMO_EMAIL, DEMO_PASSWORD
from galatea_async.emulator._emulator import Emulator
from galatea_async.emulator._faults import FaultInjector, FaultRule
from galatea_async.emulator._middleware import RequestRecord, http_date
from galatea_async.emulator._routes_data import MAX_UPLOAD_BYTES
from galatea_async.emulator._webhooks import WebhookDelivery, sign

__all__ = [
    "DEMO_API_KEY",
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "MAX_UPLOAD_BYTES",
    "Blob",
    "Clock",
    "Emulator",
    "FaultInjector",
    "FaultRule",
    "RequestRecord",
    "WebhookDelivery",
    "http_date",
    "sign",
]
