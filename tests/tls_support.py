"""A JSON server on 127.0.0.1, over TLS with ``trustme`` certificates or plain, for the tests
of private CAs and proxies."""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
from pathlib import Path

import attrs
import trustme
from cryptography import x509

from tests.raw_http import RawServer, Request

ANSWER = {"ok": True}


def private_ca(tmp: Path) -> tuple[trustme.CA, Path, ssl.SSLContext]:
    """A private CA, its PEM bundle written under ``tmp``, and a server context it signed
    for 127.0.0.1 and localhost."""
    ca = trustme.CA()
    bundle = tmp / "private-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    return ca, bundle, server_context


@attrs.define
class JsonServer(RawServer):
    """Answers every request with ``ANSWER`` as JSON; over TLS when ``tls`` is a context."""

    tls: ssl.SSLContext | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self._server.sockets[0].getsockname()[1]
        scheme = "https" if self.tls is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{port}"
        return self.base_url

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps(ANSWER).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        return True


def hashed_ca_directory(bundle: Path, directory: Path) -> Path:
    """``directory`` holding the CA of ``bundle`` under OpenSSL's ``<subject hash>.0`` name,
    as ``SSL_CERT_DIR`` and ``capath`` expect (what ``openssl rehash`` does)."""
    certificate = x509.load_pem_x509_certificate(bundle.read_bytes())
    digest = hashlib.sha1(_canonical_name(certificate.subject)).digest()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{int.from_bytes(digest[:4], 'little'):08x}.0").write_bytes(bundle.read_bytes())
    return directory


def _canonical_name(name: x509.Name) -> bytes:
    # OpenSSL's X509_NAME_hash input: each RDN as a SET of (OID, UTF8String) with values
    # lower-cased and spaces collapsed, concatenated without the outer SEQUENCE header.
    parts = []
    for rdn in name.rdns:
        attributes = b""
        for attribute in rdn:
            value = " ".join(str(attribute.value).lower().split()).encode()
            attributes += _der(0x30, _der_oid(attribute.oid.dotted_string) + _der(0x0C, value))
        parts.append(_der(0x31, attributes))
    return b"".join(parts)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _der_oid(dotted: str) -> bytes:
    numbers = [int(part) for part in dotted.split(".")]
    body = bytes([numbers[0] * 40 + numbers[1]])
    for number in numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body += bytes(reversed(chunk))
    return _der(0x06, body)
