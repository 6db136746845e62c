"""curl `--parallel`: one curl process fetching every URL, N transfers at a time.

For the `curl_parallel+sync` baseline, `benchmarks/run.py` runs `sync_command` (coreutils'
`sync -f`, a syncfs of the written files' file system) right after and adds its time: what a
client that guarantees its files are on disk when it reports them must pay too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.clients import Spec


def command(spec: Spec, config: Path) -> list[str] | None:
    """Write curl's config listing every URL and output file; return the command, or None."""
    curl = shutil.which("curl")
    if curl is None:
        return None
    dest = Path(spec.dest)
    lines = [f'header = "Authorization: Bearer {spec.api_key}"', "fail", "silent", "show-error"]
    for order_id in spec.order_ids:
        lines.append(f'url = "{spec.url(order_id)}"')
        lines.append(f'output = "{dest / (order_id + "_" + spec.result_type)}.tsv"')
    config.write_text("\n".join(lines) + "\n")
    # --parallel-immediate: open the N connections at once instead of waiting to see whether
    # HTTP/2 multiplexing is possible (HTTP/1.1 here), as the other clients do.
    return [
        curl,
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        str(spec.concurrency),
        "--config",
        str(config),
    ]


def sync_command(spec: Spec) -> list[str]:
    """The command that makes what curl wrote durable: a sync of its file system."""
    return ["sync", "-f", spec.dest]
