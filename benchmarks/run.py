"""Run the galatea_async benchmarks side by side and print the table.

    .venv/bin/python benchmarks/run.py [--quick] [--workloads large huge ...] [--no-nginx]

Generates the data files into benchmarks/data/ (once), serves them with nginx when installed
(else with benchmarks/_server.py under uvicorn), runs every client of every workload in its own
fresh process, checks what each wrote, prints a markdown table and writes the results (a full run
of every workload: benchmarks/results/latest.md and a timestamped JSON; anything less, i.e.
--quick, --workloads or --profile: benchmarks/work/partial.md and partial-*.json). Every server
binds 127.0.0.1 and is stopped on the way out, errors and Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import attrs

from benchmarks import _report, _servers
from benchmarks._data import ensure_files
from benchmarks._measure import Measurement, process_cpu_seconds, run_command, run_python_client
from benchmarks._profile import summarise
from benchmarks._sync_baselines import LISTING_ALONE, RSYNC, run_rsync
from benchmarks._sync_data import ensure_sync_data
from benchmarks._verify import check_output, check_sync_output
from benchmarks._workloads import (
    DEMO,
    IMPORTS,
    LISTING,
    RESULT_TYPE,
    STATIC,
    SYNC,
    THROTTLED,
    ClientRun,
    Workload,
    sync_scale,
    workloads,
)
from benchmarks.clients import Spec
from benchmarks.clients.curl_parallel import command as curl_command
from benchmarks.clients.curl_parallel import sync_command

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data" / "files"
WORK = BENCH / "work"
RESULTS = BENCH / "results"
API_KEY = "bench-api-key"
RUN_TIMEOUT = 600.0


# Workloads that bring their own servers, clients and table: name -> section(repeat, quick).
# Imported when run: the upload benchmarks need the `dev` extra (asyncssh, OpenSSH's helpers),
# the download workloads only the library, so they also run where only the library is installed.
def _upload_http_section(repeat: int, quick: bool) -> str:
    from benchmarks import _upload_http

    return _upload_http.section(repeat=repeat, work=WORK, data=BENCH / "data")


def _sftp_upload_section(repeat: int, quick: bool) -> str:
    from benchmarks import _upload_sftp

    return _upload_sftp.run(quick=quick, rounds=repeat, work=WORK)


OWN_TABLES: dict[str, Callable[[int, bool], str]] = {
    "upload-http": _upload_http_section,
    "sftp-upload": _sftp_upload_section,
}


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _server_for(workload: Workload, *, use_nginx: bool) -> Iterator[tuple[str, str, str]]:
    """Serve the workload; yield (base URL, API key, description of the server)."""
    if workload.server == SYNC:
        binary = _servers.nginx_binary() if use_nginx else None
        if binary is None:
            yield "", "", "unavailable: the sync workload needs nginx (apt-get install nginx)"
            return
        with _servers.nginx(binary, DATA, WORK) as url:
            yield url, API_KEY, _nginx_version(binary)
        return
    if workload.server == STATIC:
        binary = _servers.nginx_binary() if use_nginx else None
        if binary is not None:
            with _servers.nginx(binary, DATA, WORK) as url:
                yield url, API_KEY, _nginx_version(binary)
            return
        with _servers.python_server(
            "benchmarks._server", ["--data", str(DATA)], WORK, name="static"
        ) as url:
            yield url, API_KEY, "benchmarks/_server.py (Starlette + uvicorn; nginx not used)"
        return
    if workload.server == DEMO:
        yield "", "", "none: galatea demo serves its bundled emulator in its own process"
        return
    if workload.server == IMPORTS:
        yield "", "", "none: each import runs in a fresh interpreter"
        return
    if workload.server == THROTTLED:
        args = [
            "--data",
            str(DATA),
            "--latency",
            str(workload.latency),
            "--bandwidth",
            str(workload.bandwidth),
        ]
        with _servers.python_server("benchmarks._server", args, WORK, name="throttled") as url:
            yield (
                url,
                API_KEY,
                f"benchmarks/_server.py, {(workload.bandwidth or 0) / 2**20:g} MiB/s per "
                f"response, {workload.latency * 1000:.0f} ms latency",
            )
        return
    with _listing_server(workload) as served:
        yield served


@contextlib.contextmanager
def _listing_server(workload: Workload) -> Iterator[tuple[str, str, str]]:
    key_file = WORK / "listing-key.json"
    key_file.unlink(missing_ok=True)
    args = [
        "--orders",
        str(workload.count),
        "--latency",
        str(workload.latency),
        "--key-file",
        str(key_file),
    ]
    with _servers.python_server("benchmarks._listing_server", args, WORK, name="listing") as url:
        info = json.loads(key_file.read_text())
        yield url, info["api_key"], info["server"]


def _listing_server_cpu() -> float | None:
    """The listing server's CPU seconds so far (its pid is in the key file it wrote)."""
    try:
        pid = int(json.loads((WORK / "listing-key.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None
    return process_cpu_seconds(pid)


def _nginx_version(binary: str) -> str:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).strip().replace("nginx version: ", "")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _run_one(
    workload: Workload,
    client: ClientRun,
    base_url: str,
    api_key: str,
    *,
    python: str,
    profile: bool = False,
) -> Measurement:
    dest = WORK / "out" / _slug(client.label)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    listing = workload.server == LISTING
    if workload.server == SYNC and not base_url:
        return Measurement(unavailable="needs nginx")
    if client.name == RSYNC:
        return run_rsync(DATA, WORK, WORK / f"{workload.name}-rsync.log", RUN_TIMEOUT)
    listing = listing or client.name == LISTING_ALONE  # the sync's listing, read alone
    spec = client_spec(workload, client, base_url, api_key, dest, listing=listing)
    # Start each run with no dirty pages left by the previous one writing back under it.
    os.sync()
    log = WORK / f"{workload.name}-{_slug(client.label)}.log"
    server_cpu_before = _listing_server_cpu() if workload.server == LISTING else None
    try:
        if workload.server == DEMO:
            return _run_demo(dest, log, python)
        if workload.server == IMPORTS:
            return _run_import(client.name, log, python)
        if client.name in ("curl_parallel", "curl_parallel_sync"):
            command = curl_command(spec, WORK / "curl.config")
            if command is None:
                return Measurement(unavailable="curl is not installed")
            measured = run_command(command, log, RUN_TIMEOUT)
            if client.name == "curl_parallel_sync" and measured.wall is not None:
                synced = run_command(sync_command(spec), log.with_suffix(".sync.log"), RUN_TIMEOUT)
                if synced.wall is None:
                    return synced
                measured = attrs.evolve(
                    measured,
                    wall=measured.wall + synced.wall,
                    cpu=(measured.cpu or 0) + (synced.cpu or 0),
                )
        else:
            spec_path = WORK / "spec.json"
            spec.save(spec_path)
            samples = None
            if profile and client.name == "galatea_async":
                samples = WORK / f"profile-{workload.name}-{_slug(client.label)}.txt"
            measured = run_python_client(
                spec_path,
                WORK / "result.json",
                log,
                _timeout(workload),
                python=python,
                profile=samples,
            )
            if samples is not None and samples.exists():
                print(summarise(samples), file=sys.stderr)
        if measured.wall is None:
            return measured
        if workload.server == SYNC and client.name != LISTING_ALONE:
            problem = check_sync_output(workload, dest, DATA)
            return attrs.evolve(measured, wall=None, error=problem) if problem else measured
        if listing:
            if measured.items != workload.count:
                return attrs.evolve(measured, wall=None, error=f"listed {measured.items} orders")
            server_cpu_after = _listing_server_cpu()
            if server_cpu_before is None or server_cpu_after is None:
                return measured
            return attrs.evolve(measured, server_cpu=server_cpu_after - server_cpu_before)
        problem = check_output(workload, dest)
        if problem:
            return attrs.evolve(measured, wall=None, error=f"bad output: {problem}")
        return measured
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def client_spec(
    workload: Workload, client: ClientRun, base_url: str, api_key: str, dest: Path, *, listing: bool
) -> Spec:
    """What one client run is told: the ids to fetch (none for a listing, and none for a sync,
    whose clients list their own orders: 50,000 ids would add 5 MiB to each client's peak RSS
    at ``--sync-scale 50000``), where to write, how many at once."""
    return Spec(
        client=client.name,
        mode="list" if listing else "sync" if workload.server == SYNC else "download",
        base_url=base_url,
        api_key=api_key,
        order_ids=[] if listing or workload.server == SYNC else workload.order_ids(),
        result_type=RESULT_TYPE,
        dest=str(dest),
        concurrency=client.concurrency,
        page_size=workload.page_size,
    )


def _timeout(workload: Workload) -> float:
    """How long a client may run: longer for a sync larger than the sync workload's 5,000
    orders (``--sync-scale``)."""
    if workload.server == SYNC:
        return RUN_TIMEOUT * max(1.0, workload.count / 5000)
    return RUN_TIMEOUT


def _run_demo(dest: Path, log: Path, python: str) -> Measurement:
    """``galatea --json demo`` in its own process; its rate is the bytes over its own seconds."""
    output = WORK / "demo.json"
    command = [python, "-m", "galatea_async.cli", "--json", "demo", "--dest", str(dest)]
    measured = run_command(command, log, RUN_TIMEOUT, stdout=output, cwd=WORK)
    if measured.wall is None:
        return measured
    try:
        summary = json.loads(output.read_text())
    except (OSError, ValueError):
        return attrs.evolve(measured, wall=None, error="galatea demo printed no JSON summary")
    if summary.get("failed") or not summary.get("downloaded"):
        return attrs.evolve(measured, wall=None, error=f"bad demo run: {str(summary)[:200]}")
    return attrs.evolve(measured, bytes=summary["downloaded_bytes"], own_seconds=summary["seconds"])


_IMPORT_PROBE = """
import json, sys, time
# From compiled bytecode, as an installed package imports (pip compiles it): the warm-up run
# writes it here whatever PYTHONDONTWRITEBYTECODE says, the measured run reads it.
sys.dont_write_bytecode = False
sys.pycache_prefix = {pycache!r}
if {without_cli!r}:
    # What httpx would cost without importing its command line (click, rich, pygments): a
    # measurement in this throwaway process only; httpx then falls back to a stub.
    sys.modules["click"] = None
started = time.perf_counter()
import {module}
seconds = time.perf_counter() - started
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
heavy = sorted(m for m in ("click", "rich", "pygments") if sys.modules.get(m) is not None)
print(json.dumps({{"seconds": seconds, "peak_rss_kib": peak, "also_imported": heavy}}))
"""
# The import row that shows galatea_async with httpx's command line left out.
WITHOUT_HTTPX_CLI = "_without_httpx_cli"


def _run_import(name: str, log: Path, python: str) -> Measurement:
    """Import a module alone in a fresh interpreter, from bytecode (after one warm-up run);
    its own seconds and the process's peak RSS."""
    module = name.removesuffix(WITHOUT_HTTPX_CLI)
    probe = _IMPORT_PROBE.format(
        module=module, pycache=str(WORK / "pycache"), without_cli=name != module
    )
    output = WORK / "import.json"
    command = [python, "-c", probe]
    measured = run_command(command, log, RUN_TIMEOUT, stdout=output, cwd=WORK)  # warm-up
    if measured.wall is None:
        return measured
    measured = run_command(command, log, RUN_TIMEOUT, stdout=output, cwd=WORK)
    if measured.wall is None:
        return measured
    found = json.loads(output.read_text())
    also = ", ".join(found["also_imported"])
    return Measurement(
        wall=found["seconds"],
        peak_rss_mib=found["peak_rss_kib"] / 1024,
        note=f"also imports {also}" if also else None,
    )


def _environment(servers: dict[str, str]) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=BENCH,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "galatea_async"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        commit += " + uncommitted changes to galatea_async"
    curl = shutil.which("curl")
    curl_version = ""
    if curl:
        words = subprocess.run(
            [curl, "--version"], capture_output=True, text=True, check=False
        ).stdout.split()
        curl_version = " ".join(words[:2])
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "curl": curl_version,
        "servers": servers,
    }


_START = "<!-- latest-results:start (written by run.py) -->"
_END = "<!-- latest-results:end -->"


def _quote_in_readme(text: str) -> None:
    """Replace the README's quoted table with this run's."""
    readme = BENCH / "README.md"
    content = readme.read_text()
    if _START not in content or _END not in content:
        return
    head, rest = content.split(_START, 1)
    _, tail = rest.split(_END, 1)
    readme.write_text(f"{head}{_START}\n{text}{_END}{tail}")


def _chosen(client: ClientRun, wanted: list[str] | None) -> bool:
    """Whether ``--clients`` keeps ``client`` (by its name or its label)."""
    return not wanted or client.name in wanted or client.label in wanted


def main(argv: list[str] | None = None) -> int:
    names = [w.name for w in workloads(quick=False)]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test < 60 s")
    parser.add_argument(
        "--workloads", nargs="+", choices=[*names, *OWN_TABLES], default=[*names, *OWN_TABLES]
    )
    parser.add_argument("--no-nginx", action="store_true", help="serve with the Python server")
    parser.add_argument("--repeat", type=int, default=None, help="runs per client (median)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample galatea_async under py-spy; print where its time goes (slows it down)",
    )
    parser.add_argument(
        "--clients",
        nargs="+",
        metavar="LABEL",
        help="run only these clients (e.g. aiohttp_hand: a baseline alone, to check that the "
        "interleaved figures agree with it)",
    )
    parser.add_argument(
        "--sync-scale",
        type=int,
        metavar="ORDERS",
        help="also run results.sync's first run over ORDERS orders (4 files each), for its "
        "peak memory against the sync workload's (--sync-scale 50000: 200,000 files)",
    )
    parser.add_argument(
        "--client-python",
        metavar="PYTHON",
        default=sys.executable,
        help="the interpreter that runs the Python clients and the imports (default: this one; "
        "e.g. a virtualenv with only the library installed, while the servers run here)",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    chosen = [w for w in workloads(quick=args.quick) if w.name in args.workloads]
    if args.sync_scale:
        chosen.append(sync_scale(args.sync_scale))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    WORK.mkdir(parents=True, exist_ok=True)

    commit_at_start = _environment({})["commit"]
    started = time.monotonic()
    for workload in chosen:
        if workload.server == SYNC:
            continue  # one size at a time: written just before its workload runs
        if workload.server not in (LISTING, DEMO, IMPORTS):
            ensure_files(workload, DATA)
    print(f"data ready in {time.monotonic() - started:.1f} s", file=sys.stderr)

    rows: dict[str, dict[str, _report.Row]] = {}
    servers: dict[str, str] = {}
    for workload in chosen:
        clients = [c for c in workload.clients if _chosen(c, args.clients)]
        runs: dict[str, list[Measurement]] = {c.label: [] for c in clients}
        if workload.server == SYNC:
            ensure_sync_data(workload, DATA)
        with _server_for(workload, use_nginx=not args.no_nginx) as (base_url, key, server):
            servers[workload.name] = server
            for attempt in range(repeat):
                for client in clients:
                    measured = _run_one(
                        workload,
                        client,
                        base_url,
                        key,
                        python=args.client_python,
                        profile=args.profile,
                    )
                    runs[client.label].append(measured)
                    shown = "-" if measured.wall is None else f"{measured.wall:.2f} s"
                    problem = measured.error or measured.unavailable or ""
                    print(
                        f"[{workload.name} {attempt + 1}/{repeat}] {client.label}: {shown}"
                        f" {problem}",
                        file=sys.stderr,
                    )
        rows[workload.name] = {
            label: _report.Row(workload, label, tuple(found)) for label, found in runs.items()
        }

    own_tables = [
        OWN_TABLES[name](repeat, args.quick) for name in args.workloads if name in OWN_TABLES
    ]
    environment = _environment(servers)
    if args.client_python != sys.executable:
        environment["client_python"] = args.client_python
    if environment["commit"] != commit_at_start:
        # Someone committed mid-run: say which code the early clients ran.
        environment["commit"] = (
            f"{commit_at_start} (HEAD moved to {environment['commit']} during the run)"
        )
    table = _report.table(rows)
    found = _report.targets(rows)
    titles = {w.name: w.title for w in chosen}
    targets_table = _report.targets_table(found, titles)
    header = "\n".join(
        [
            f"Run {environment['date']} at commit {environment['commit']}"
            f"{' (--quick)' if args.quick else ''}; median of {repeat} run(s) per client.",
            f"Machine: {environment['cpu']}; Python {environment['python']};"
            f" {environment['curl']}; load average at the end {environment['load_average']}"
            " (other work on the machine competes with the clients and the server).",
            "Servers: " + "; ".join(f"{k}: {v}" for k, v in servers.items()) + ".",
        ]
    )
    text = f"{header}\n\n{table}\n\nTargets for galatea_async:\n\n{targets_table}\n"
    text += "".join(f"\n{own}\n" for own in own_tables)
    print(text)

    # Only a complete, unprofiled full run may replace the committed figures.
    official = (
        not args.quick
        and not args.profile
        and not args.clients
        and set(args.workloads) == set(names)
    )
    out_dir = RESULTS if official else WORK
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / ("latest.md" if official else "partial.md")).write_text(
        f"# Benchmark results\n\n{text}"
    )
    if official:
        _quote_in_readme(text)
    record = {
        "environment": environment,
        "quick": args.quick,
        "repeat": repeat,
        "rows": [
            {
                "workload": row.workload.name,
                "title": row.workload.title,
                "client": row.label,
                "wall_s": row.wall,
                "throughput": row.throughput,
                "cpu_s": row.cpu,
                "peak_rss_mib": row.peak_rss,
                "server_cpu_s": row.server_cpu,
                "status": row.status,
                "runs": [attrs.asdict(run) for run in row.runs],
            }
            for workload_rows in rows.values()
            for row in workload_rows.values()
        ],
        "targets": [{**attrs.asdict(t), "verdict": t.verdict} for t in found],
    }
    json_name = f"{stamp}.json" if official else f"partial-{stamp}.json"
    (out_dir / json_name).write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
