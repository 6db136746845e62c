"""Start and stop the servers the benchmarks fetch from; every one binds 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_NGINX_CONF = """\
{user}
worker_processes 2;
daemon off;
master_process on;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000;
    keepalive_timeout 65;
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        location = /healthz {{ return 200 "ok"; }}
        # The sync workload's listing: one saved page per ?page= (benchmarks/_sync_data.py).
        location = /api/v1/exec/orders {{
            root {data};
            default_type application/json;
            try_files /sync-pages/${{arg_page}}.json =404;
        }}
        # The API's download URL, mapped onto files named {{order_id}}_{{result_type}};
        # the Authorization header is accepted and ignored.
        location ~ "^/api/v1/data/results/(?<order>[0-9a-f-]{{36}})/download$" {{
            if ($arg_result_type !~ "^[A-Z_]+$") {{ return 404; }}
            alias {data}/${{order}}_${{arg_result_type}};
            add_header Content-Disposition
                'attachment; filename="${{order}}_${{arg_result_type}}.tsv"';
        }}
    }}
}}
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer (the emulator has no /healthz) means it is serving
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {base_url} not ready after {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Each server runs in its own session, so its group id is its pid: this ends only it
    # (nginx's workers included), never anything else.
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def nginx_binary() -> str | None:
    """Return the path of nginx if it is installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


@contextlib.contextmanager
def nginx(binary: str, data: Path, work: Path) -> Iterator[str]:
    """Serve `data` with nginx on a free port; yield the base URL."""
    work = work / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    # As root, nginx would drop its workers to `nobody`; keep them able to read the data.
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(_NGINX_CONF.format(user=user, work=work, port=port, data=data.resolve()))
    log = open(work / "nginx.out", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, "-p", str(work), "-c", str(conf)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, process)
        yield base_url
    finally:
        _stop(process)
        log.close()


@contextlib.contextmanager
def python_server(module: str, args: list[str], work: Path, *, name: str) -> Iterator[str]:
    """Run `python -m module --port P args...` under uvicorn; yield its base URL."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(work / f"{name}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *args],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, process, timeout=60)
        yield base_url
    finally:
        _stop(process)
        log.close()
