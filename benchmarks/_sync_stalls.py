"""Where a ``results.sync`` run's loop stalls come from: one process, every instrument lined up.

    python -m benchmarks._sync_stalls [--rounds 3] [--census] [--label NAME] [--medium]

Serves the sync workload's data (``benchmarks/data/files``, made by ``run.py --workloads
sync``) with nginx and runs, per round, a first sync into a fresh folder and a nothing-to-do
rerun, each in a fresh client process (with ``--medium``, instead: ``download_many`` of the
``medium`` workload, 1,000 x 256 KiB at concurrency 16, which ``run.py --workloads medium``
makes) that records:

- a 1 ms ticker on the SDK's loop (as ``clients/_loop_lag.py``): each tick later than 10 ms is
  a stall, the window from when it was due to when it ran;
- ``gc.callbacks``: every collection, its generation, length, thread and what it freed;
- each turn of the loop (``BaseEventLoop._run_once``): wall and loop-thread CPU, the time in
  ``select`` past its timeout (waiting for the GIL or a core after the poll), the callbacks
  run, and each callback that held the loop's thread for more than 3 ms of CPU (the task's
  coroutine);
- each disk-thread job (the package's pool): its function, wall and thread CPU.

A stall is put down to a full collection when one ran inside it on any thread, else to a long
run of callbacks when the loop's thread was busy for most of it, else to a wait (the GIL held
by another thread, or no free core). With ``--census`` the run instead counts the objects each
young (generation 1) collection promotes into the oldest generation, by type: what a file
leaves behind for the next full collection to walk (the timings of that run do not count).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data" / "files"
STALL = 0.010  # --stall-ms changes it
API_KEY = "bench-api-key"


class Recorder:
    """The instruments of one client process (installed before the sync, read after)."""

    def __init__(self, census: bool) -> None:
        self.loop_thread = threading.get_ident()
        self.collections: list[tuple[float, float, int, int, bool]] = []
        self.turns: list[tuple[float, float, float, float, int]] = []
        self.jobs: list[tuple[float, float, float, str]] = []
        self.ticks: list[tuple[float, float]] = []
        self.long_callbacks: list[tuple[float, float, str]] = []
        self.promoted: collections.Counter[str] = collections.Counter()
        self._census = census
        self._gen2: collections.Counter[str] | None = None
        self._started = 0.0

    def on_collection(self, phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic()
        if phase == "start":
            self._started = now
            return
        generation = info["generation"]
        on_loop = threading.get_ident() == self.loop_thread
        self.collections.append((self._started, now, generation, info["collected"], on_loop))
        if self._census:
            self._count_promoted(generation)

    def _count_promoted(self, generation: int) -> None:
        gc.callbacks.remove(self.on_collection)  # get_objects allocates: no nested callbacks
        try:
            now = collections.Counter(map(_signature, gc.get_objects(2)))
        finally:
            gc.callbacks.append(self.on_collection)
        if self._gen2 is not None and generation == 1:
            self.promoted.update({k: n for k, n in (now - self._gen2).items() if n > 0})
        self._gen2 = now


def _signature(thing: object) -> str:
    """An object's type, with what tells where it was made for the commonest containers."""
    kind = type(thing).__name__
    try:
        if isinstance(thing, tuple) and thing:
            return f"tuple[{', '.join(type(part).__name__ for part in thing[:6])}]"
        if isinstance(thing, list) and thing:
            return f"list[{type(thing[0]).__name__}]"
        if isinstance(thing, dict) and thing:
            return f"dict{sorted(map(str, thing))[:3]}"
        if kind == "cell":
            return f"cell[{type(thing.cell_contents).__name__}]"  # type: ignore[attr-defined]
        if kind in ("method", "function", "coroutine"):
            owner = getattr(thing, "__func__", thing)
            return f"{kind} {getattr(owner, '__qualname__', '?')}"
    except (ValueError, AttributeError):
        pass
    return kind


def _instrument_loop(recorder: Recorder) -> None:
    base = asyncio.base_events.BaseEventLoop
    run_once = base._run_once  # type: ignore[attr-defined]

    def timed_run_once(self: Any) -> None:
        wall, cpu = time.monotonic(), time.thread_time()
        ready = len(self._ready)
        selector = self._selector
        select = selector.select
        overrun = [0.0]

        def timed_select(timeout: float | None = None) -> Any:
            began = time.monotonic()
            try:
                return select(timeout)
            finally:
                took = time.monotonic() - began
                overrun[0] = max(0.0, took - (timeout or 0.0)) if timeout is not None else 0.0

        selector.select = timed_select
        try:
            run_once(self)
        finally:
            del selector.select
        recorder.turns.append((wall, time.monotonic(), time.thread_time() - cpu, overrun[0], ready))

    base._run_once = timed_run_once  # type: ignore[attr-defined]


def _instrument_callbacks(recorder: Recorder) -> None:
    handle_run = asyncio.events.Handle._run

    def timed_run(self: asyncio.events.Handle) -> None:
        wall, cpu = time.monotonic(), time.thread_time()
        handle_run(self)
        took = time.thread_time() - cpu
        if took > 0.003:
            recorder.long_callbacks.append((wall, took, _callback_name(self)))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]


def _callback_name(handle: asyncio.events.Handle) -> str:
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"task {owner.get_coro().__qualname__}"  # type: ignore[union-attr]
    return getattr(callback, "__qualname__", repr(callback))


def _instrument_pool(recorder: Recorder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from galatea_async import _threads

    class TimedPool(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            work = args[0][0] if fn is getattr(_threads, "_run_and_report", None) else fn
            name = getattr(work, "__qualname__", type(work).__name__)

            def timed() -> Any:
                wall, cpu = time.monotonic(), time.thread_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    recorder.jobs.append((wall, time.monotonic(), time.thread_time() - cpu, name))

            return super().submit(timed)

    _threads._pool = TimedPool(_threads.MAX_DISK_THREADS, thread_name_prefix="galatea-disk")


async def _synced(base_url: str, dest: str, recorder: Recorder, medium: bool) -> int:
    from galatea_async import AsyncGalatea

    loop = asyncio.get_running_loop()
    if medium:
        from benchmarks._workloads import RESULT_TYPE, workloads

        (workload,) = [w for w in workloads(quick=False) if w.name == "medium"]
        items = [(order_id, RESULT_TYPE) for order_id in workload.order_ids()]

    def tick(planned: float) -> None:
        nonlocal handle
        now = loop.time()
        recorder.ticks.append((planned, now))
        handle = loop.call_at(now + 0.001, tick, now + 0.001)

    async with AsyncGalatea(api_key=API_KEY, base_url=base_url) as client:
        first = loop.time() + 0.001
        handle = loop.call_at(first, tick, first)
        try:
            if medium:
                outcomes = await client.results.download_many(
                    items, dest.rstrip("/") + "/", concurrency=16
                )
            else:
                report = await client.results.sync(dest, concurrency=8)
        finally:
            handle.cancel()
    if medium:
        assert all(outcome.ok for outcome in outcomes)
        return len(outcomes)
    assert report.ok, report.failed[:1]
    return len(report.downloaded) + len(report.skipped)


def _overlap(window: tuple[float, float], span: tuple[float, float]) -> float:
    return max(0.0, min(window[1], span[1]) - max(window[0], span[0]))


def _attribute(recorder: Recorder) -> list[dict[str, Any]]:
    """Each stall with what overlapped it."""
    stalls = []
    for planned, ran in recorder.ticks:
        if ran - planned < STALL:
            continue
        window = (planned, ran)
        full = [c for c in recorder.collections if c[2] == 2 and _overlap(window, c[:2]) > 0]
        young = sum(_overlap(window, c[:2]) for c in recorder.collections if c[2] < 2)
        turns = [t for t in recorder.turns if _overlap(window, t[:2]) > 0]
        long = [c for c in recorder.long_callbacks if planned <= c[0] <= ran]
        cpu = sum(t[2] for t in turns)
        jobs = [j for j in recorder.jobs if _overlap(window, j[:2]) > 0]
        if full:
            cause = "full collection"
        elif cpu > 0.6 * (ran - planned):
            cause = "loop busy (callbacks)"
        else:
            cause = "waiting (GIL or core)"
        stalls.append(
            {
                "ms": round((ran - planned) * 1000, 1),
                "cause": cause,
                "full_ms": [round((c[1] - c[0]) * 1000, 1) for c in full],
                "young_ms": round(young * 1000, 1),
                "loop_cpu_ms": round(cpu * 1000, 1),
                "select_overrun_ms": round(max((t[3] for t in turns), default=0) * 1000, 1),
                "callbacks": sum(t[4] for t in turns),
                "long_callbacks": [(round(c[1] * 1000, 1), c[2]) for c in long],
                "disk_jobs": collections.Counter(j[3] for j in jobs).most_common(3),
                "disk_job_cpu_ms": round(sum(j[2] for j in jobs) * 1000, 1),
            }
        )
    return stalls


def child(base_url: str, dest: str, census: bool, medium: bool) -> None:
    """One sync (or download_many), instrumented; its figures as JSON on stdout."""
    recorder = Recorder(census)
    _instrument_loop(recorder)
    _instrument_callbacks(recorder)
    _instrument_pool(recorder)
    gc.callbacks.append(recorder.on_collection)
    cpu = time.process_time()
    files = asyncio.run(_synced(base_url, dest, recorder, medium))
    cpu = time.process_time() - cpu
    gc.callbacks.remove(recorder.on_collection)
    lateness = sorted(ran - planned for planned, ran in recorder.ticks)
    full = [c for c in recorder.collections if c[2] == 2]
    print(
        json.dumps(
            {
                "files": files,
                "cpu_s": round(cpu, 2),
                "lag_p99_ms": round(lateness[int(len(lateness) * 0.99)] * 1000, 1),
                "lag_max_ms": round(lateness[-1] * 1000, 1),
                "full_collections_ms": [round((c[1] - c[0]) * 1000, 1) for c in full],
                "full_on_loop": [c[4] for c in full],
                "young_collections": len(recorder.collections) - len(full),
                "stalls": _attribute(recorder),
                "disk_jobs": collections.Counter(j[3] for j in recorder.jobs).most_common(6),
                "long_callbacks": collections.Counter(
                    c[2] for c in recorder.long_callbacks
                ).most_common(6),
                "promoted_per_file": round(sum(recorder.promoted.values()) / max(files, 1), 3),
                "promoted_types": recorder.promoted.most_common(30),
            }
        )
    )


def _run_child(base_url: str, dest: Path, census: bool, medium: bool) -> dict[str, Any]:
    args = [sys.executable, "-W", "ignore", "-m", "benchmarks._sync_stalls", "--child"]
    args += [base_url, str(dest)] + (["--census"] if census else [])
    args += ["--medium"] if medium else []
    args += ["--stall-ms", str(STALL * 1000)]
    args += ["--switch-ms", str(sys.getswitchinterval() * 1000)]
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent)}
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    global STALL
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2)
    parser.add_argument("--census", action="store_true")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--medium", action="store_true")
    parser.add_argument("--stall-ms", type=float, default=10.0)
    # Measurement only (the library never changes it): whether waits follow the GIL's hand-over.
    parser.add_argument("--switch-ms", type=float, default=None)
    options = parser.parse_args()
    STALL = options.stall_ms / 1000
    if options.switch_ms is not None:
        sys.setswitchinterval(options.switch_ms / 1000)
    if options.child:
        child(*options.child, options.census, options.medium)
        return
    from benchmarks import _servers

    binary = _servers.nginx_binary()
    if binary is None or not (DATA / "sync-pages").is_dir():
        raise SystemExit("needs nginx and the sync data (run.py --workloads sync makes it)")
    work = Path(tempfile.mkdtemp(prefix="sync-stalls-"))
    try:
        with _servers.nginx(binary, DATA, work) as url:
            for round_ in range(options.rounds):
                dest = work / f"dest-{round_}"
                for name in ("medium",) if options.medium else ("first", "rerun"):
                    figures = _run_child(url, dest, options.census, options.medium)
                    load = os.getloadavg()[0]
                    print(
                        json.dumps({"label": options.label, "run": name, "load": load, **figures})
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
