"""The sync workload's baselines for a nothing-to-do rerun: `rsync -a --dry-run` over the same
tree, and the listing alone.

The issue's target for a rerun is at most twice `rsync -a --dry-run` over a tree laid out as
a sync leaves it (one folder per order, four files each) plus the listing's own time (the
SDK cannot know what is new without reading it). The tree is hard links to the served files,
built once outside the timed part; its mirror is a second tree of hard links, so rsync finds
every file already there and compares them all, as a sync's rerun does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from benchmarks._measure import Measurement, run_command
from benchmarks._sync_data import order_ids

RSYNC = "rsync_dry_run"
LISTING_ALONE = "galatea_async_listing"
_BUILT = ".tree-complete"


def rsync_binary() -> str | None:
    """rsync, installed with apt-get when missing and possible; None when it cannot be had."""
    found = shutil.which("rsync")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "rsync"],
        capture_output=True,
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("rsync")


def _tree(data: Path, root: Path) -> Path:
    """`root`, laid out as a sync leaves its folder (hard links to the served files)."""
    wanted = order_ids(data)
    marker = root / _BUILT
    if marker.exists() and marker.read_text() == str(len(wanted)):
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    by_order: dict[str, list[Path]] = {}
    for path in data.iterdir():
        if not path.is_file():
            continue
        order, _, _ = path.name.partition("_")
        by_order.setdefault(order, []).append(path)
    for order in wanted:
        (root / order).mkdir()
        for path in by_order.get(order, []):
            os.link(path, root / order / f"{path.name}.tsv")
    marker.write_text(str(len(wanted)))
    return root


def run_rsync(data: Path, work: Path, log: Path, timeout: float) -> Measurement:
    """`rsync -a --dry-run` from one tree to its identical mirror, timed alone."""
    binary = rsync_binary()
    if binary is None:
        return Measurement(unavailable="rsync is not installed and apt-get could not install it")
    source = _tree(data, work / "rsync-source")
    mirror = _tree(data, work / "rsync-mirror")
    return run_command([binary, "-a", "--dry-run", f"{source}/", f"{mirror}/"], log, timeout)
