"""Run one client in a fresh process and measure its wall time, CPU time and peak RSS."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from benchmarks._profile import wrap
from benchmarks._servers import ROOT


@attrs.frozen
class Measurement:
    """One run of one client: None fields were not measured (the run failed or was skipped)."""

    wall: float | None = None
    cpu: float | None = None
    peak_rss_mib: float | None = None
    items: int | None = None
    # Bytes moved, when the client itself says (``galatea demo``), and its own seconds for them.
    bytes: int | None = None
    own_seconds: float | None = None
    # How late a 1 ms ticker on the client's own event loop woke (galatea_async's clients).
    loop_lag_p99_ms: float | None = None
    loop_lag_max_ms: float | None = None
    # Full collections during the timed part, and the longest one's milliseconds.
    full_collections: int | None = None
    full_collection_max_ms: float | None = None
    # CPU seconds the server process spent during the run (the listing workload's emulator).
    server_cpu: float | None = None
    error: str | None = None
    note: str | None = None  # said in the status column of a good run
    unavailable: str | None = None


def peak_rss_kib(pid: int | str = "self") -> int | None:
    """Return the process's peak resident set (VmHWM) in KiB, or None if it is gone."""
    # Not ru_maxrss: the kernel carries the parent's high-water mark across fork and exec into
    # the child's ru_maxrss, so a child of a big runner would report the runner's size.
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def process_cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU seconds process ``pid`` has used, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait(
    process: subprocess.Popen[bytes], timeout: float, peak: list[int] | None = None
) -> tuple[int, Any]:
    # os.wait4 returns this child's own CPU times, unmixed with other children's. `peak`, when
    # given, collects the child's VmHWM while it runs (for clients that cannot report it).
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if peak is not None:
                peak.append(peak_rss_kib(process.pid) or 0)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                return process.returncode, usage
            time.sleep(0.005 if peak is not None else 0.01)
    except BaseException:
        _kill(process)  # interrupted: leave no client running behind us
        raise
    _kill(process)
    raise TimeoutError(f"client still running after {timeout:.0f} s; killed")


def _kill(process: subprocess.Popen[bytes]) -> None:
    # The client runs in its own session, so its group id is its pid: this ends only it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        _, status, _ = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)


def run_python_client(
    spec_path: Path,
    result_path: Path,
    log: Path,
    timeout: float,
    *,
    python: str = sys.executable,
    profile: Path | None = None,
) -> Measurement:
    """Run `python -m benchmarks.clients` on a spec; wall and CPU are the client's timed part.

    With `profile`, the client runs under py-spy, which writes its samples there.
    """
    result_path.unlink(missing_ok=True)
    command = [python, "-m", "benchmarks.clients", str(spec_path), str(result_path)]
    if profile is not None:
        command = wrap(command, profile)
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code, _usage = _wait(process, timeout)
        except TimeoutError as exc:
            return Measurement(error=str(exc))
    try:
        data: dict[str, Any] = json.loads(result_path.read_text())
    except (OSError, ValueError):
        return Measurement(error=f"client exited {code} without a result")
    peak = data["peak_rss_kib"] / 1024 if data.get("peak_rss_kib") else None
    if "unavailable" in data:
        return Measurement(unavailable=data["unavailable"])
    if "error" in data:
        return Measurement(peak_rss_mib=peak, error=data["error"])
    return Measurement(
        wall=data["wall"],
        cpu=data["cpu"],
        peak_rss_mib=peak,
        items=data.get("items"),
        loop_lag_p99_ms=data.get("loop_lag_p99_ms"),
        loop_lag_max_ms=data.get("loop_lag_max_ms"),
        full_collections=data.get("full_collections"),
        full_collection_max_ms=data.get("full_collection_max_ms"),
    )


def run_command(
    command: list[str],
    log: Path,
    timeout: float,
    *,
    stdout: Path | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run a client as a command (curl, ``galatea demo``); wall and CPU cover the whole process.

    ``stdout``, when given, receives the command's standard output apart from its log.
    """
    with open(log, "wb") as output, open(stdout or os.devnull, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=out if stdout is not None else output,
            stderr=output,
            start_new_session=True,
            cwd=cwd,
        )
        peaks: list[int] = []
        try:
            code, usage = _wait(process, timeout, peaks)
        except TimeoutError as exc:
            return Measurement(error=str(exc))
        wall = time.perf_counter() - started
    peak = max(peaks, default=0) / 1024 or None
    if code != 0:
        tail = log.read_text(errors="replace")[-300:].strip()
        return Measurement(peak_rss_mib=peak, error=f"exit {code}: {tail}")
    return Measurement(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_rss_mib=peak)
