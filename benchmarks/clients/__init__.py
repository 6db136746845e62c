"""The clients compared by the benchmarks; each runs alone in a fresh process.

Every module has `download(spec)` (fetch `spec.order_ids` into `spec.dest`) and optionally
`list_orders(spec) -> int` and `sync(spec) -> int` (mirror every completed order's results into
`spec.dest/<order_id>/`; returns the number of files). `python -m benchmarks.clients SPEC
RESULT` runs one of them, times it and writes the figures to RESULT; curl is run directly by
`benchmarks/run.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

MIB = 1024 * 1024


class Unavailable(Exception):
    """The client cannot run here yet (e.g. galatea_async lacks `download_many`)."""


@attrs.frozen
class Spec:
    """What one client run fetches, and where it writes."""

    client: str
    mode: str  # "download", "sync" or "list"
    base_url: str
    api_key: str
    order_ids: list[str]
    result_type: str
    dest: str
    concurrency: int
    page_size: int = 100

    def url(self, order_id: str) -> str:
        return (
            f"{self.base_url}/api/v1/data/results/{order_id}/download"
            f"?result_type={self.result_type}"
        )

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(attrs.asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Spec:
        data: dict[str, Any] = json.loads(path.read_text())
        return cls(**data)


def filename_from(content_disposition: str | None, fallback: str) -> str:
    """Return the bare file name a hand-written client would take from Content-Disposition."""
    if not content_disposition or "filename=" not in content_disposition:
        return fallback
    name = content_disposition.split("filename=", 1)[1].split(";", 1)[0].strip().strip('"')
    # Hand-written clients still must not write outside dest.
    return Path(name).name or fallback
