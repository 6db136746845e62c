"""SFTP upload workload: the SDK against OpenSSH's ``sftp put`` and ``scp`` to a local sshd.

    .venv/bin/python -m benchmarks._upload_sftp [--size-mib 512] [--rounds 3] [--clients ...]

The harness starts OpenSSH's sshd on 127.0.0.1 (internal-sftp, generated host and client keys,
as the tests do: ``tests/openssh_support.py``), writes one file of random bytes, then runs the
clients in interleaved rounds (a, b, c, a, b, c, ...) so that noise from other work on the
machine falls on every client alike. Each client runs in a fresh process; its wall time, CPU
time and peak RSS are measured, the remote file is checked against the local one and removed.
For the SDK these cover its own part (connect, upload, close), as it reports them, not the
interpreter's start-up; for ``sftp`` and ``scp``, the whole process.
``run.py --workloads sftp-upload`` runs it with the other workloads.
"""

from __future__ import annotations

import argparse
import asyncio
import filecmp
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._measure import Measurement, peak_rss_kib, run_command
from tests.openssh_support import install_openssh_server, run_sshd
from tests.sftp_support import SftpServer

NAME = "sftp-upload"
MIB = 1024 * 1024
CLIENTS = ("galatea_async", "sftp put", "scp")
# An A/B row, not run by default: the SDK offering chacha20-poly1305 first, as asyncssh does.
CHACHA = "galatea_async chacha20"
_TIMEOUT = 600.0


def _ssh_options(server: SftpServer) -> list[str]:
    return [
        "-F",
        "/dev/null",
        "-i",
        str(server.client_key),
        "-o",
        f"UserKnownHostsFile={server.known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-P",
        str(server.port),
    ]


def _command(client: str, server: SftpServer, source: Path, work: Path) -> list[str]:
    target = f"{server.username}@{server.host}"
    if client == "sftp put":
        batch = work / "sftp.batch"
        batch.write_text(f"put {source} upload.bin\n")
        return ["sftp", *_ssh_options(server), "-b", str(batch), target]
    if client == "scp":
        return ["scp", "-q", *_ssh_options(server), str(source), f"{target}:upload.bin"]
    spec = {
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "client_key": str(server.client_key),
        "known_hosts": str(server.known_hosts),
        "source": str(source),
        "encryption_algs": ["chacha20-poly1305@openssh.com"] if client == CHACHA else None,
    }
    return [sys.executable, "-m", "benchmarks._upload_sftp", "--client", json.dumps(spec)]


def _run_client(client: str, server: SftpServer, source: Path, work: Path) -> Measurement:
    uploaded = server.root / "upload.bin"
    uploaded.unlink(missing_ok=True)
    os.sync()  # no dirty pages from the previous run writing back under this one
    log = work / f"{client.replace(' ', '_')}.log"
    output = work / "client.json"
    output.unlink(missing_ok=True)
    measured = run_command(
        _command(client, server, source, work), log, _TIMEOUT, stdout=output, cwd=work.parent
    )
    if measured.wall is not None and client.startswith("galatea_async"):
        own = json.loads(output.read_text())
        measured = Measurement(wall=own["wall"], cpu=own["cpu"], peak_rss_mib=own["peak_rss_mib"])
    if measured.wall is not None and not filecmp.cmp(source, uploaded, shallow=False):
        return Measurement(error="the uploaded file differs from the source")
    uploaded.unlink(missing_ok=True)
    return measured


def measure(
    size: int, rounds: int, clients: tuple[str, ...] = CLIENTS, work: Path | None = None
) -> tuple[dict[str, list[Measurement]], str]:
    """Every client ``rounds`` times, interleaved; and a line saying which sshd served."""
    reason = install_openssh_server()
    if reason is not None:
        raise SystemExit(f"the SFTP workload needs OpenSSH's sshd: {reason}")
    version = subprocess.run(["/usr/sbin/sshd", "-V"], capture_output=True, text=True)
    with tempfile.TemporaryDirectory(prefix="sftp-upload-", dir=work) as directory:
        base = Path(directory)
        source = base / "source.bin"
        with source.open("wb") as file:
            for _ in range(size // MIB):
                file.write(os.urandom(MIB))
        (base / "server").mkdir()
        runs: dict[str, list[Measurement]] = {client: [] for client in clients}
        with run_sshd(base / "server") as server:
            for round_number in range(rounds):
                for client in clients:
                    measured = _run_client(client, server, source, base)
                    runs[client].append(measured)
                    shown = "-" if measured.wall is None else f"{measured.wall:.2f} s"
                    print(
                        f"[{NAME} {round_number + 1}/{rounds}] {client}: {shown} "
                        f"{measured.error or ''}",
                        file=sys.stderr,
                    )
    served = (version.stderr or version.stdout).strip().splitlines()[0]
    return runs, f"OpenSSH sshd ({served}), internal-sftp on 127.0.0.1"


def table(runs: dict[str, list[Measurement]], size: int) -> str:
    """Markdown: median MiB/s (and range), CPU per GiB, peak RSS, ratio to ``sftp put``."""
    medians = {
        client: statistics.median(size / MIB / run.wall for run in found if run.wall)
        for client, found in runs.items()
        if any(run.wall for run in found)
    }
    lines = [
        f"SFTP upload, {size // MIB} MiB, {max(map(len, runs.values()))} interleaved rounds:",
        "",
        "| client | MiB/s median (range) | client CPU s/GiB | peak RSS MiB | vs sftp put |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for client, found in runs.items():
        good = [run for run in found if run.wall]
        if not good:
            errors = {run.error for run in found}
            lines.append(f"| {client} | FAILED: {'; '.join(map(str, errors))[:120]} | | | |")
            continue
        rates = [size / MIB / run.wall for run in good if run.wall]
        cpu = statistics.median(run.cpu or 0 for run in good) * 1024 * MIB / size
        peak = max(run.peak_rss_mib or 0 for run in good)
        ratio = f"{medians[client] / medians['sftp put']:.2f}x" if "sftp put" in medians else ""
        lines.append(
            f"| {client} | {medians[client]:.0f} ({min(rates):.0f}-{max(rates):.0f}) | "
            f"{cpu:.2f} | {peak:.0f} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


async def _upload_with_the_sdk(spec: dict[str, Any]) -> None:
    from galatea_async.sftp import SftpUploader

    async with SftpUploader(
        str(spec["host"]),
        str(spec["username"]),
        port=int(str(spec["port"])),
        client_keys=[str(spec["client_key"])],
        known_hosts=str(spec["known_hosts"]),
        encryption_algs=spec["encryption_algs"],
    ) as sftp:
        await sftp.upload(str(spec["source"]), remote_name="upload.bin", remote_folder="")


def _client(spec_text: str) -> None:
    """The SDK client's process: its defaults, timed from connect to close."""
    import galatea_async.sftp  # noqa: F401  (imported before the clock starts)

    spec = json.loads(spec_text)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    asyncio.run(_upload_with_the_sdk(spec))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    peak = (peak_rss_kib() or 0) / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_mib": peak}))


def run(*, quick: bool, rounds: int, work: Path) -> str:
    """The workload as ``run.py`` runs it: 512 MiB (64 MiB with ``--quick``); its table."""
    size = (64 if quick else 512) * MIB
    runs, served = measure(size, rounds, work=work)
    return f"Server: {served}.\n\n{table(runs, size)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", nargs="+", choices=(*CLIENTS, CHACHA), default=list(CLIENTS))
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        _client(args.client)
        return 0
    if shutil.which("sftp") is None or shutil.which("scp") is None:
        raise SystemExit("the SFTP workload needs OpenSSH's sftp and scp clients")
    size = args.size_mib * MIB
    runs, served = measure(size, args.rounds, tuple(args.clients))
    print(f"Server: {served}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    print(table(runs, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
