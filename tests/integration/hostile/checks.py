"""What every hostile case checks: canaries kept out of sight, memory bounded, nothing left behind.

Canaries are values no message, repr, traceback or log line may ever show: the credentials a
client holds and the patient fields a caller sends in ``pdf_metadata``. Each is distinctive
enough that finding it anywhere in captured text can only mean a leak.
"""

from __future__ import annotations

import contextlib
import os
import traceback
import tracemalloc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "ACCESS_TOKEN",
    "API_KEY",
    "CANARIES",
    "EMAIL",
    "PASSWORD",
    "PATIENT",
    "PATIENT_VALUES",
    "REFRESH_TOKEN",
    "Peak",
    "assert_no_canary",
    "leftovers",
    "peak_memory",
    "rendered",
]

API_KEY = "canary-api-key-7d41c2a9e0f3"
EMAIL = "canary.user@example.com"
PASSWORD = "canary-Pa55word-91be"
ACCESS_TOKEN = "canary-access-token-3c9f0b"
REFRESH_TOKEN = "canary-refresh-token-a71d5e"
PATIENT = {
    "patient_name": "Canary Q Patient",
    "dob": "1961-04-12",
    "sex": "Female",
    "patient_id": "canary-patient-7731",
    "accession": "canary-accession-55",
    "address": "17 Canary Street",
    "provider_name": "Dr Canary Provider",
    "referring_facility": "Canary Clinic",
}
# "Female" is an ordinary word that may appear for other reasons; the rest are canaries.
PATIENT_VALUES = [value for key, value in PATIENT.items() if key != "sex"]
CANARIES = [API_KEY, PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN, *PATIENT_VALUES]


def rendered(exc: BaseException) -> list[str]:
    """Every way an exception is shown: ``str``, ``repr``, its ``body``, its whole traceback."""
    return [
        str(exc),
        repr(exc),
        repr(getattr(exc, "body", None)),
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ]


def assert_no_canary(*texts: str | Iterable[str], canaries: Iterable[str] = CANARIES) -> None:
    """No canary appears in any of ``texts`` (strings or lists of strings)."""
    flat: list[str] = []
    for text in texts:
        flat.extend([text] if isinstance(text, str) else text)
    for canary in canaries:
        for text in flat:
            assert canary not in text, f"{canary!r} leaked into: ...{_around(text, canary)}..."


def _around(text: str, canary: str) -> str:
    at = text.find(canary)
    return text[max(0, at - 120) : at + len(canary) + 60]


@attrs.define
class Peak:
    """The largest traced allocation total seen inside ``peak_memory``, in bytes."""

    bytes: int = 0

    @property
    def mebibytes(self) -> float:
        return self.bytes / (1 << 20)


@contextlib.contextmanager
def peak_memory() -> Iterator[Peak]:
    """Trace Python allocations in the block; ``peak.bytes`` is their peak above the start."""
    peak = Peak()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    try:
        yield peak
    finally:
        _, highest = tracemalloc.get_traced_memory()
        peak.bytes = max(0, highest - start)
        if not already:
            tracemalloc.stop()


def leftovers(directory: str | os.PathLike[str]) -> list[str]:
    """Every entry of ``directory`` (hidden temporary files included); [] if it is gone."""
    path = Path(directory)
    return sorted(os.listdir(path)) if path.exists() else []


def first_line(value: Any) -> str:
    return str(value).splitlines()[0] if str(value) else ""
