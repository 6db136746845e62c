"""Where a listing's wall time goes, seen from the server: pages in flight, the first page's
wait, each client's CPU per order and the server's CPU share.

    .venv/bin/python benchmarks/listing_timeline.py [--rounds 3] [--orders 10000]

Serves the listing workload as `benchmarks/run.py` does (`_listing_server.py`: pre-rendered
pages, 50 ms latency), runs each client alone in a fresh process (`python -m
benchmarks.clients`, timed after imports as in the harness), rounds interleaved, and reads
the server's timeline after each run. Printed per client, medians over the rounds:

- wall: the client's timed section; vendor alone is the baseline the harness must agree with;
- first page: from the first request's arrival to its answer being sent (the latency);
- gap to page 2: from page 1's answer to the next request's arrival (client work between);
- in flight: requests the server held at once, the most and the average over the walk;
- time with none in flight (the client working while the server waits) and with 20 or
  more (the walk at full width), in milliseconds;
- answer to next request: on one connection, from an answer's last byte to the next
  request's arrival, mean and 90th percentile (the client reading, decoding and converting
  while its answers wait: the SDK asks for the next page on the connection that brought the
  last one; pauses longer than 40 ms, the window's drain, are left out and counted apart);
- outside: the client's wall time outside the server's span (start-up before the first
  request, reading and converting the last pages, yielding, closing);
- client CPU per order, and the server's CPU seconds as a share of client + server.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _servers
from benchmarks._measure import Measurement, process_cpu_seconds, run_python_client
from benchmarks.clients import Spec

WORK = Path(__file__).resolve().parent / "work" / "timeline"
CLIENTS = ("vendor_requests", "galatea_async")

# page, arrived, answered (server's monotonic seconds), connection number
Event = tuple[int, float, float, int]
# A connection idle longer than this between an answer and its next request was waiting for
# the walk (a window draining, the end of the listing), not for the client's processing.
_PROCESSING_GAP_MAX = 0.040


def walk_figures(events: list[Event]) -> dict[str, float]:
    """The timeline's figures (see the module docstring); times in milliseconds."""
    events = sorted(events, key=lambda event: event[1])
    start, end = events[0][1], max(event[2] for event in events)
    first = events[0]
    later = [event for event in events if event[1] >= first[2]]
    gap = (later[0][1] - first[2]) * 1000 if later else 0.0
    points = sorted([(event[1], 1) for event in events] + [(event[2], -1) for event in events])
    held = most = 0
    area = idle = full = 0.0
    previous = start
    for moment, step in points:
        span = moment - previous
        area += held * span
        idle += span if held == 0 else 0.0
        full += span if held >= 20 else 0.0
        held += step
        most = max(most, held)
        previous = moment
    gaps, pauses = _connection_gaps(events)
    ordered = sorted(gaps)
    return {
        "answer_to_next_request_mean_ms": statistics.mean(gaps) * 1000 if gaps else 0.0,
        "answer_to_next_request_p90_ms": ordered[int(len(ordered) * 0.9)] * 1000 if gaps else 0.0,
        "connection_pauses_over_40_ms": float(pauses),
        "span_ms": (end - start) * 1000,
        "first_page_ms": (first[2] - first[1]) * 1000,
        "gap_to_page_2_ms": gap,
        "in_flight_max": float(most),
        "in_flight_mean": area / (end - start) if end > start else 0.0,
        "none_in_flight_ms": idle * 1000,
        "20_or_more_ms": full * 1000,
    }


def _connection_gaps(events: list[Event]) -> tuple[list[float], int]:
    """Per connection, each answer's end to the next request's arrival (seconds), the pauses
    longer than ``_PROCESSING_GAP_MAX`` counted apart."""
    by_connection: dict[int, list[Event]] = {}
    for event in events:
        by_connection.setdefault(event[3], []).append(event)
    gaps: list[float] = []
    pauses = 0
    for served in by_connection.values():
        served.sort(key=lambda event: event[1])
        for answered, following in itertools.pairwise(served):
            gap = following[1] - answered[2]
            if gap > _PROCESSING_GAP_MAX:
                pauses += 1
            else:
                gaps.append(gap)
    return gaps, pauses


def _timeline(base_url: str) -> list[Event]:
    with urllib.request.urlopen(f"{base_url}/_timeline", timeout=10) as response:
        return [tuple(event) for event in json.loads(response.read())]  # type: ignore[misc]


def _run(client: str, base_url: str, key: str, pid: int, page_size: int) -> dict[str, float]:
    spec = Spec(client, "list", base_url, key, [], "", str(WORK), 0, page_size)
    spec_path = WORK / "spec.json"
    spec.save(spec_path)
    _timeline(base_url)  # forget what came before
    server_before = process_cpu_seconds(pid) or 0.0
    measured: Measurement = run_python_client(spec_path, WORK / "result.json", WORK / "log", 600)
    server_cpu = (process_cpu_seconds(pid) or 0.0) - server_before
    if measured.wall is None or measured.cpu is None or not measured.items:
        raise RuntimeError(f"{client}: {measured.error or measured.unavailable}")
    figures = walk_figures(_timeline(base_url))
    figures.update(
        wall_s=measured.wall,
        outside_ms=measured.wall * 1000 - figures["span_ms"],
        client_cpu_us_per_order=measured.cpu / measured.items * 1e6,
        server_cpu_share=server_cpu / (server_cpu + measured.cpu),
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    key_file = WORK / "key.json"
    server_args = ["--orders", str(args.orders), "--latency", "0.05", "--key-file", str(key_file)]
    server_args += ["--page-size", str(args.page_size)]
    runs: dict[str, list[dict[str, float]]] = {client: [] for client in CLIENTS}
    with _servers.python_server(
        "benchmarks._listing_server", server_args, WORK, name="timeline"
    ) as url:
        info = json.loads(key_file.read_text())
        for _ in range(args.rounds):
            for client in CLIENTS:
                runs[client].append(_run(client, url, info["api_key"], info["pid"], args.page_size))
    for client, figures in runs.items():
        medians = {name: statistics.median(run[name] for run in figures) for name in figures[0]}
        shown = ", ".join(f"{name} {value:.3g}" for name, value in medians.items())
        print(f"{client}: {shown}")
    vendor, sdk = (statistics.median(run["wall_s"] for run in runs[c]) for c in CLIENTS)
    print(f"ratio (median walls): {vendor / sdk:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
