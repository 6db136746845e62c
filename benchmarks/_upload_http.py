"""HTTP upload workload: one 45 MB file sent as ``multipart/form-data``, three ways.

Servers, each in its own process on 127.0.0.1:
- ``sink``: a raw asyncio server that reads and discards the body and answers a new source
  file's JSON, with ``file_size_bytes`` the size of the file part (so the SDK's size check runs);
  the ceiling of what the clients can send.
- ``emulator``: the galatea_async emulator under uvicorn (Starlette and python-multipart parse
  the upload); it forgets each upload once answered, so its memory stays flat over the runs.

Files: 45 MB of incompressible bytes that are not an archive (the transfer alone), and a 45 MB
``.txt.zip`` of genotype-like text (the SDK checks its CRCs before sending: the check's cost).

Clients, each in a fresh process: ``galatea_async`` (``files.upload(path)``, defaults),
``galatea_async check_archive=False`` (zip only), ``aiohttp_hand`` (``aiohttp.FormData`` with the
open file, what a careful user writes), ``curl -F``. The Python clients time their client's
setup and upload (imports excluded); curl is timed whole. The ``(warm)`` rows (plain file only)
first send a 7-byte file on the same client, untimed, then time 3 uploads and show the median:
the transfer without first-use costs.
Peak RSS is the process's VmHWM.

    python -m benchmarks._upload_http sink --port P
    python -m benchmarks._upload_http emulator --port P --key-file F
    python -m benchmarks._upload_http client NAME URL KEY FILE RESULT
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from benchmarks import _servers
from benchmarks._measure import Measurement, peak_rss_kib, run_command
from benchmarks._servers import ROOT

__all__ = ["ensure_upload_files", "section"]

UPLOAD_PATH = "/api/v1/data/files/upload"
SIZE = 45 * 1000 * 1000
_SERVERS = ("sink", "emulator")


# --- the data files --------------------------------------------------------------------------


def ensure_upload_files(directory: Path) -> dict[str, Path]:
    """The two 45 MB files, written once: ``{"bin": ..., "zip": ...}``."""
    directory.mkdir(parents=True, exist_ok=True)
    plain, archive = directory / "upload-45MB.bin", directory / "upload-45MB.txt.zip"
    if not plain.exists() or plain.stat().st_size != SIZE:
        noise = random.Random(19).randbytes(1 << 20)
        with open(plain, "wb") as handle:
            for offset in range(0, SIZE, len(noise)):
                handle.write(b"R" + noise[1 : min(len(noise), SIZE - offset)])
    if not archive.exists() or abs(archive.stat().st_size - SIZE) > SIZE // 10:
        _write_genotype_zip(archive)
    return {"bin": plain, "zip": archive}


def _write_genotype_zip(path: Path) -> None:
    rng = random.Random(7)
    lines = [
        f"rs{rng.randrange(10**8)}\t{rng.randrange(1, 23)}\t{rng.randrange(10**8)}\t"
        f"{rng.choice('ACGT')}{rng.choice('ACGT')}\n"
        for _ in range(20000)
    ]
    block = "".join(lines).encode()
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("genome.txt", "w", force_zip64=True) as entry,
    ):
        # Stops within a block's compressed size (~0.2 MB) of SIZE: under the API's 50 MB.
        while path.stat().st_size < SIZE - 300_000:
            entry.write(rng.randbytes(64) + block)


# --- the servers -----------------------------------------------------------------------------


class _Sink(asyncio.Protocol):
    """One connection: headers, then the body counted and dropped, then a JSON answer."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.head = bytearray()
        self.remaining: int | None = None
        self.length = 0
        self.first = bytearray()

    def data_received(self, data: bytes) -> None:
        if self.remaining is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            headers = bytes(self.head[:end]).decode("latin-1").lower()
            data = bytes(self.head[end + 4 :])
            self.length = self.remaining = _content_length(headers)
            if "expect: 100-continue" in headers:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(self.first) < 8192:
            self.first += data[: 8192 - len(self.first)]
        self.remaining -= len(data)
        if self.remaining <= 0:
            self._answer()

    def _answer(self) -> None:
        first = bytes(self.first)
        boundary = first[: first.find(b"\r\n")]
        size = None
        if boundary.startswith(b"--"):
            size = self.length - (first.find(b"\r\n\r\n") + 4) - len(boundary) - 6
        body = json.dumps(_source_file(size)).encode()
        self.transport.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        self.transport.close()


def _content_length(headers: str) -> int:
    for line in headers.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip() == "content-length":
            return int(value)
    return 0


def _source_file(size: int | None) -> dict[str, Any]:
    return {
        "id": "9b2f1d4c-3e5a-4f6b-8c7d-0e1f2a3b4c5d",
        "status": "PENDING",
        "src_file_name": "upload",
        "file_size_bytes": size,
        "created_at": "2026-01-01T00:00:00Z",
    }


def _serve_sink(port: int) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Sink, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _serve_emulator(port: int, key_file: Path) -> None:
    import uvicorn

    from galatea_async.emulator import Emulator

    emulator = Emulator(seed=1)

    async def forgetful(scope: Any, receive: Any, send: Any) -> None:
        await emulator.app(scope, receive, send)
        emulator.state.files.clear()

    key_file.write_text(json.dumps({"api_key": emulator.api_key}))
    uvicorn.run(
        forgetful,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


# --- the clients -----------------------------------------------------------------------------


Figures = dict[str, float]
# Uploads timed on a warm client; its row shows the one of median wall time.
_WARM_UPLOADS = 3


async def _galatea(url: str, key: str, path: Path, *, check_archive: bool, warm: bool) -> Figures:
    from galatea_async import AsyncGalatea

    clock = _Clock()
    async with AsyncGalatea(api_key=key, base_url=url) as client:
        if not warm:
            await client.files.upload(path, check_archive=check_archive)
            return clock.read()
        await client.files.upload(b"warm-up", filename="warm-up.txt")
        timed = []
        for _ in range(_WARM_UPLOADS):
            clock = _Clock()
            await client.files.upload(path, check_archive=check_archive)
            timed.append(clock.read())
    return _middle(timed)


async def _aiohttp(url: str, key: str, path: Path, *, warm: bool) -> Figures:
    import aiohttp

    clock = _Clock()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as session:

        async def send(content: Any, name: str) -> None:
            form = aiohttp.FormData()
            form.add_field("file", content, filename=name)
            async with session.post(url + UPLOAD_PATH, data=form) as response:
                response.raise_for_status()
                await response.read()

        if not warm:
            with open(path, "rb") as handle:
                await send(handle, path.name)
            return clock.read()
        await send(b"warm-up", "warm-up.txt")
        timed = []
        for _ in range(_WARM_UPLOADS):
            clock = _Clock()
            with open(path, "rb") as handle:
                await send(handle, path.name)
            timed.append(clock.read())
    return _middle(timed)


def _middle(timed: list[Figures]) -> Figures:
    """The upload of median wall time among those timed on one warm client."""
    return sorted(timed, key=lambda figures: figures["wall"])[len(timed) // 2]


def _client(name: str, url: str, key: str, path: Path, result: Path) -> None:
    import aiohttp  # noqa: F401 - imported before the clock starts, as the SDK is

    import galatea_async  # noqa: F401

    warm = name.endswith(" (warm)")
    uploads = {
        "galatea_async": lambda: _galatea(url, key, path, check_archive=True, warm=warm),
        "galatea_async check_archive=False": lambda: _galatea(
            url, key, path, check_archive=False, warm=warm
        ),
        "aiohttp_hand": lambda: _aiohttp(url, key, path, warm=warm),
    }
    figures = asyncio.run(uploads[name.removesuffix(" (warm)")]())
    result.write_text(json.dumps({**figures, "peak_rss_kib": peak_rss_kib()}))


class _Clock:
    """Wall and CPU time from its creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def read(self) -> Figures:
        return {"wall": time.perf_counter() - self.wall, "cpu": _cpu() - self.cpu}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the runs and the table ------------------------------------------------------------------


@contextmanager
def _server(kind: str, work: Path) -> Iterator[tuple[str, str]]:
    """Run the sink or the emulator; yield (base URL, API key)."""
    key_file = work / "upload-emulator-key.json"
    args = [kind] if kind == "sink" else ["--key-file", str(key_file), kind]
    with _servers.python_server(
        "benchmarks._upload_http", args, work, name=f"upload-{kind}"
    ) as url:
        key = json.loads(key_file.read_text())["api_key"] if kind == "emulator" else "sink-key"
        yield url, key


def _clients(file_kind: str) -> list[str]:
    if file_kind == "zip":
        return ["galatea_async", "galatea_async check_archive=False", "aiohttp_hand", "curl -F"]
    warm = ["galatea_async (warm)", "aiohttp_hand (warm)"]
    return ["galatea_async", "aiohttp_hand", "curl -F", *warm]


def _run(client: str, url: str, key: str, path: Path, work: Path) -> Measurement:
    log = work / f"upload-{client.replace(' ', '_')}.log"
    if client == "curl -F":
        command = ["curl", "-sS", "--fail", "-o", "/dev/null", "-H", f"Authorization: Bearer {key}"]
        return run_command([*command, "-F", f"file=@{path}", url + UPLOAD_PATH], log, 300)
    result = work / "upload-result.json"
    result.unlink(missing_ok=True)
    module = [sys.executable, "-m", "benchmarks._upload_http", "client"]
    whole = run_command([*module, client, url, key, str(path), str(result)], log, 300, cwd=ROOT)
    if whole.wall is None:
        return whole
    own = json.loads(result.read_text())
    return attrs.evolve(whole, wall=own["wall"], cpu=own["cpu"])


def section(*, repeat: int, work: Path, data: Path) -> str:
    """Run every client on every server and file, ``repeat`` rounds interleaved; the table."""
    files = ensure_upload_files(data)
    runs: dict[tuple[str, str, str], list[Measurement]] = {}
    for server in _SERVERS:
        with _server(server, work) as (url, key):
            for attempt in range(repeat):
                for file_kind, path in files.items():
                    for client in _clients(file_kind):
                        measured = _run(client, url, key, path, work)
                        runs.setdefault((server, file_kind, client), []).append(measured)
                        shown = "-" if measured.wall is None else f"{measured.wall:.3f} s"
                        print(
                            f"[upload {server} {file_kind} {attempt + 1}/{repeat}] {client}: "
                            f"{shown} {measured.error or ''}",
                            file=sys.stderr,
                        )
    sizes = {kind: path.stat().st_size for kind, path in files.items()}
    return _table(runs, sizes)


def _table(runs: dict[tuple[str, str, str], list[Measurement]], sizes: dict[str, int]) -> str:
    lines = [
        "| upload (HTTP) | client | wall s | MB/s | CPU s | peak RSS MiB | vs aiohttp | status |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    walls = {key: _median([r.wall for r in found]) for key, found in runs.items()}
    for (server, file_kind, client), found in runs.items():
        wall = walls[(server, file_kind, client)]
        warm = " (warm)" if client.endswith(" (warm)") else ""
        base = walls.get((server, file_kind, f"aiohttp_hand{warm}"))
        cpu = _median([r.cpu for r in found])
        peaks = [r.peak_rss_mib for r in found if r.peak_rss_mib is not None]
        errors = [r.error for r in found if r.error]
        lines.append(
            f"| 45 MB {file_kind} -> {server} | {client} | {_fmt(wall, 3)} | "
            f"{_fmt(sizes[file_kind] / 1e6 / wall if wall else None, 0)} | {_fmt(cpu, 3)} | "
            f"{_fmt(max(peaks) if peaks else None, 0)} | "
            f"{_fmt(base / wall if base and wall else None, 2)} | "
            f"{'FAILED: ' + errors[0] if errors else 'ok'} |"
        )
    return "\n".join(lines)


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, help="sink, emulator: where to listen")
    parser.add_argument("--key-file", type=Path, help="emulator: where to write its API key")
    parser.add_argument("command", choices=["sink", "emulator", "client"])
    parser.add_argument("client", nargs="*", help="client: NAME URL KEY FILE RESULT")
    args = parser.parse_args()
    if args.command == "sink":
        _serve_sink(args.port)
    elif args.command == "emulator":
        _serve_emulator(args.port, args.key_file)
    else:
        name, url, key, path, result = args.client
        _client(name, url, key, Path(path), Path(result))


if __name__ == "__main__":
    main()
