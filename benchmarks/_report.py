"""Summarise the runs: the markdown table, the target checks, the JSON record."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import attrs

from benchmarks._measure import Measurement
from benchmarks._workloads import DEMO, IMPORTS, LISTING, MIB, SYNC, THROTTLED, Workload

GIB = 1024 * MIB


@attrs.frozen
class Row:
    """One client on one workload, over all repeats."""

    workload: Workload
    label: str
    runs: tuple[Measurement, ...]

    @property
    def good(self) -> list[Measurement]:
        return [run for run in self.runs if run.wall is not None]

    @property
    def wall(self) -> float | None:
        good = self.good
        if self.workload.server == DEMO:  # its own seconds for the transfer, as it prints them
            seconds = [run.own_seconds for run in good if run.own_seconds]
            return statistics.median(seconds) if seconds else None
        return statistics.median(run.wall for run in good if run.wall) if good else None

    @property
    def cpu(self) -> float | None:
        good = [run.cpu for run in self.good if run.cpu is not None]
        return statistics.median(good) if good else None

    @property
    def server_cpu(self) -> float | None:
        """The median over runs of the server process's CPU seconds (listing only)."""
        good = [run.server_cpu for run in self.good if run.server_cpu is not None]
        return statistics.median(good) if good else None

    @property
    def peak_rss(self) -> float | None:
        peaks = [run.peak_rss_mib for run in self.runs if run.peak_rss_mib is not None]
        return max(peaks) if peaks else None

    @property
    def loop_lag(self) -> str:
        """The median over runs of the ticker's p99 and max lateness, in ms ("-" if none),
        then of the full collections in the timed part and the longest one's ms."""
        p99 = [r.loop_lag_p99_ms for r in self.good if r.loop_lag_p99_ms is not None]
        worst = [r.loop_lag_max_ms for r in self.good if r.loop_lag_max_ms is not None]
        if not p99 or not worst:
            return "-"
        lag = f"{statistics.median(p99):.1f} / {statistics.median(worst):.0f}"
        counts = [r.full_collections for r in self.good if r.full_collections is not None]
        longest = [
            r.full_collection_max_ms for r in self.good if r.full_collection_max_ms is not None
        ]
        if not counts or not any(counts):
            return lag
        return f"{lag} (full GC {statistics.median(counts):g}, {statistics.median(longest):.0f} ms)"

    @property
    def throughput(self) -> float | None:
        """MiB/s for downloads, orders/s for listing."""
        wall = self.wall
        if wall is None or self.workload.server == IMPORTS:
            return None
        if self.workload.server == LISTING:
            return self.workload.count / wall
        if self.workload.server == DEMO:
            rates = [r.bytes / MIB / r.own_seconds for r in self.good if r.bytes and r.own_seconds]
            return statistics.median(rates) if rates else None
        return self.workload.total_bytes / MIB / wall

    @property
    def status(self) -> str:
        for run in self.runs:
            if run.unavailable:
                return f"not available yet: {run.unavailable}"
        errors = [run.error for run in self.runs if run.error]
        if errors:
            return f"FAILED {len(errors)}/{len(self.runs)}: {errors[0]}"
        notes = sorted({run.note for run in self.runs if run.note})
        if self.server_cpu is not None and self.wall and self.cpu is not None:
            # Client and server share the machine's cores: the server's part of the CPU
            # spent, and how busy it was over the client's wall time.
            share = self.server_cpu / (self.server_cpu + self.cpu) if self.cpu else 1.0
            notes.append(
                f"CPU s: client {self.cpu:.2f}, server {self.server_cpu:.2f} ({share:.0%} of"
                f" both; server busy {self.server_cpu / self.wall:.0%} of the wall time)"
            )
        return "ok" + "".join(f"; {note}" for note in notes)


def baselines(workload: Workload) -> dict[str, str]:
    """Return {short name: client label} of the rows each row of `workload` is compared to."""
    if workload.server == LISTING:
        return {"one page at a time": "vendor_requests"}
    if workload.server in (DEMO, IMPORTS) or workload.name == "sync-scale":
        return {}  # sync-scale: its peak memory against the sync workload's, in the targets
    if workload.server == THROTTLED:
        return {
            "one at a time": "galatea_async c=1",
            "vendor": "vendor_requests",
            "aiohttp": "aiohttp_hand c=32",
            "curl": "curl_parallel c=32",
        }
    concurrency = next(c.concurrency for c in workload.clients if c.name == "aiohttp_hand")
    return {
        "curl": f"curl_parallel c={concurrency}",
        "curl+sync": f"curl_parallel+sync c={concurrency}",
        "aiohttp": f"aiohttp_hand c={concurrency}",
        "aiohttp durable": f"aiohttp_durable c={concurrency}",
        "vendor": "vendor_requests",
    }


def _speedups(row: Row, rows: dict[str, Row]) -> str:
    parts = []
    for short, label in baselines(row.workload).items():
        other = rows.get(label)
        if label == row.label or other is None or other.wall is None or row.wall is None:
            continue
        parts.append(f"{other.wall / row.wall:.2f}x {short}")
    return ", ".join(parts)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(rows_by_workload: dict[str, dict[str, Row]]) -> str:
    """Return the markdown table of every row."""
    lines = [
        "| workload | client | wall s | MiB/s (orders/s) | CPU s/GiB | peak RSS MiB"
        " | loop lag p99 / max ms | speed vs baselines | status |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for rows in rows_by_workload.values():
        for row in rows.values():
            listing = row.workload.server == LISTING
            cpu_per_gib = None
            if row.cpu is not None and not listing and row.workload.total_bytes:
                cpu_per_gib = row.cpu / (row.workload.total_bytes / GIB)
            lines.append(
                f"| {row.workload.title} | {row.label} | {_fmt(row.wall, 2)} | "
                f"{_fmt(row.throughput, 0 if listing else 1)} | {_fmt(cpu_per_gib, 2)} | "
                f"{_fmt(row.peak_rss, 0)} | {row.loop_lag} | {_speedups(row, rows)} | "
                f"{row.status} |"
            )
    return "\n".join(lines)


@attrs.frozen
class Target:
    """One of the issues' targets for galatea_async, checked against this run."""

    workload: str
    text: str
    measured: float | None
    threshold: float
    higher_is_better: bool = True

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "not measured"
        ok = (
            self.measured >= self.threshold
            if self.higher_is_better
            else (self.measured <= self.threshold)
        )
        return "met" if ok else "MISSED"


def _ratio(rows: dict[str, Row], label: str, baseline: str) -> float | None:
    row, base = rows.get(label), rows.get(baseline)
    if row is None or base is None or row.wall is None or base.wall is None:
        return None
    return base.wall / row.wall


def _cpu_ratio(rows: dict[str, Row], label: str, baseline: str) -> float | None:
    row, base = rows.get(label), rows.get(baseline)
    if row is None or base is None or row.cpu is None or not base.cpu:
        return None
    return row.cpu / base.cpu


# The targets for galatea_async with its default settings.
def targets(rows_by_workload: dict[str, dict[str, Row]]) -> list[Target]:
    """Return the issues' targets that this run's workloads can check."""
    found: list[Target] = []
    for name, rows in rows_by_workload.items():
        workload = next(iter(rows.values())).workload
        if workload.server == LISTING:
            ratio = _ratio(rows, "galatea_async", "vendor_requests")
            found.append(Target(name, "listing vs one page at a time", ratio, 15.0))
            continue
        if workload.server == IMPORTS:
            continue
        if name == "sync-scale":
            found.append(_scale_target(rows, rows_by_workload.get("sync")))
            continue
        if workload.server == SYNC:
            first = _ratio(rows, "galatea_async c=8", "aiohttp_hand c=8")
            found.append(_rerun_target(name, rows))
            # At most 1.5x the hand-written loop's time.
            found.append(Target(name, "first run vs aiohttp loop", first, 1 / 1.5))
            for label in ("galatea_async c=8", "galatea_async rerun (nothing to do) c=8"):
                worst = _median_lag(rows.get(label), "loop_lag_max_ms")
                text = f"{label.split(' c=')[0]}: loop lag max ms"
                found.append(Target(name, text, worst, 20.0, higher_is_better=False))
            continue
        if workload.server == DEMO:
            demo = rows.get("galatea_demo")
            found.append(Target(name, "MiB/s", demo.throughput if demo else None, 60.0))
            continue
        if workload.server == THROTTLED:
            ratio = _ratio(rows, "galatea_async c=32", "galatea_async c=1")
            found.append(Target(name, "c=32 vs one at a time", ratio, 28.0))
            row = rows.get("galatea_async c=32")
            peak = row.peak_rss if row else None
            found.append(Target(name, "peak RSS MiB", peak, 64.0, higher_is_better=False))
            continue
        concurrency = next(c.concurrency for c in workload.clients if c.name == "galatea_async")
        ours, relaxed = (
            f"galatea_async c={concurrency}",
            f"galatea_async fsync=False c={concurrency}",
        )
        aiohttp, durable_curl = (
            f"aiohttp_hand c={concurrency}",
            f"curl_parallel+sync c={concurrency}",
        )
        durable = f"aiohttp_durable c={concurrency}"
        found.append(Target(name, "vs aiohttp durable", _ratio(rows, ours, durable), 1.0))
        if name in ("medium", "mb", "small"):
            floor = 0.8 if name == "small" else 0.9
            found.append(Target(name, "vs aiohttp", _ratio(rows, ours, aiohttp), floor))
        if name in ("medium", "small"):
            ceiling = 1.5 if name == "small" else 1.3
            cpu = _cpu_ratio(rows, ours, aiohttp)
            found.append(Target(name, "CPU vs aiohttp's", cpu, ceiling, higher_is_better=False))
        if name == "medium":
            row = rows.get(ours)
            p99 = _median_lag(row, "loop_lag_p99_ms")
            worst = _median_lag(row, "loop_lag_max_ms")
            found.append(Target(name, "loop lag p99 ms", p99, 5.0, higher_is_better=False))
            found.append(Target(name, "loop lag max ms", worst, 20.0, higher_is_better=False))
        if name in ("large", "huge"):
            found.append(Target(name, "vs curl+sync", _ratio(rows, ours, durable_curl), 0.95))
            found.append(
                Target(name, "fsync=False vs aiohttp", _ratio(rows, relaxed, aiohttp), 1.0)
            )
        if name == "huge":
            row = rows.get(ours)
            peak = row.peak_rss if row else None
            found.append(Target(name, "peak RSS MiB", peak, 56.0, higher_is_better=False))
    return found


def _rerun_target(name: str, rows: dict[str, Row]) -> Target:
    """A rerun with nothing to do within twice `rsync -a --dry-run` plus the listing alone."""
    rerun = rows.get("galatea_async rerun (nothing to do) c=8")
    rsync, listing = rows.get("rsync -a --dry-run"), rows.get("galatea_async listing alone")
    walls = [row.wall if row else None for row in (rerun, rsync, listing)]
    ratio = None
    if None not in walls and (walls[1] or 0) + (walls[2] or 0) > 0:
        ratio = (walls[0] or 0) / ((walls[1] or 0) + (walls[2] or 0))
    text = "rerun / (rsync -a --dry-run + listing)"
    return Target(name, text, ratio, 2.0, higher_is_better=False)


def _scale_target(rows: dict[str, Row], sync_rows: dict[str, Row] | None) -> Target:
    """The first run's peak RSS at this size over the sync workload's (flat: about 1)."""
    row = rows.get("galatea_async c=8")
    base = sync_rows.get("galatea_async c=8") if sync_rows else None
    ratio = None
    if row and base and row.peak_rss and base.peak_rss:
        ratio = row.peak_rss / base.peak_rss
    text = "peak RSS over the sync workload's"
    return Target("sync-scale", text, ratio, 1.15, higher_is_better=False)


def _median_lag(row: Row | None, field: str) -> float | None:
    values = [getattr(r, field) for r in row.good] if row else []
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def targets_table(found: Sequence[Target], titles: dict[str, str]) -> str:
    """Return the markdown table of the targets and whether each was met."""
    lines = ["| workload | target | measured | verdict |", "| --- | --- | ---: | --- |"]
    for target in found:
        sign = ">=" if target.higher_is_better else "<="
        lines.append(
            f"| {titles[target.workload]} | {target.text} {sign} {target.threshold:g} | "
            f"{_fmt(target.measured, 2)} | {target.verdict} |"
        )
    return "\n".join(lines)
