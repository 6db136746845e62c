"""Under trio (httpx's transport), the TLS context is built off the loop and a private CA
passed as ``verify=`` is trusted; without it the certificate is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import trio

from galatea_async import APIConnectionError, AsyncGalatea, RetryPolicy
from tests.conftest import API_KEY
from tests.tls_support import private_ca

ORDER_ID = "9085d0d2-3333-1111-2222-4114602c2aa6"


class _Json(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    _, bundle, server_context = private_ca(tmp_path)
    server = HTTPServer(("127.0.0.1", 0), _Json)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", bundle
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_private_ca_under_trio(
    tls_url: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GALATEA_TRANSPORT", "httpx")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    url, bundle = tls_url
    results: list[object] = []

    async def journey() -> None:
        async with AsyncGalatea(api_key=API_KEY, base_url=url, verify=bundle) as client:
            results.append(await client.results.json(ORDER_ID))
        async with AsyncGalatea(
            api_key=API_KEY, base_url=url, retry_policy=RetryPolicy(max_retries=0)
        ) as client:
            try:
                await client.results.json(ORDER_ID)
            except APIConnectionError as error:
                results.append(str(error))

    trio.run(journey)
    assert results[0] == {"ok": True}
    assert "certificate verification failed" in str(results[1])
