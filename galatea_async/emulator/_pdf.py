"""Minimal but valid PDF documents (text on one page), optionally padded to an exact size."""

from __future__ import annotations

from collections.abc import Sequence

from galatea_async.emulator._blob import Blob, Repeat

__all__ = ["pdf_document"]

_FILLER = b"% galatea emulator padding: deterministic filler bytes for size tests.\n" * 16


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(title: str, lines: Sequence[str]) -> bytes:
    parts = ["BT", "/F1 18 Tf", "72 760 Td", f"({_escape(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        parts.append(f"({_escape(line)}) Tj")
        parts.append("0 -15 Td")
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def _objects(title: str, lines: Sequence[str]) -> list[bytes]:
    stream = _page_stream(title, lines)
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + _escape(title).encode("latin-1") + b") /Producer (galatea emulator) >>",
    ]


def _xref_and_trailer(offsets: Sequence[int], xref_offset: int) -> bytes:
    entries = [b"0000000000 65535 f \n"] + [b"%010d 00000 n \n" % o for o in offsets]
    count = len(offsets) + 1
    return (
        b"xref\n0 %d\n" % count
        + b"".join(entries)
        + b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (count, xref_offset)
    )


def pdf_document(title: str, lines: Sequence[str], *, size: int | None = None) -> Blob:
    """A one-page PDF showing ``title`` and ``lines``; exactly ``size`` bytes when given.

    Padding goes into an extra stream object that no page uses, so the document stays valid.
    """
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    body = bytearray(head)
    offsets: list[int] = []
    for number, content in enumerate(_objects(title, lines), start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    if size is None:
        return Blob.of(bytes(body) + _xref_and_trailer(offsets, len(body)))

    number = len(offsets) + 1
    pad_offset = len(body)
    padding = 0
    for _ in range(4):  # the trailer's digits depend on the padding; settle in a few rounds
        opening = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (number, padding)
        closing = b"\nendstream\nendobj\n"
        xref_offset = pad_offset + len(opening) + padding + len(closing)
        trailer = _xref_and_trailer([*offsets, pad_offset], xref_offset)
        fixed = pad_offset + len(opening) + len(closing) + len(trailer)
        if fixed + padding == size:
            break
        padding = size - fixed
        if padding < 0:
            raise ValueError(f"a PDF report cannot be smaller than {fixed} bytes")
    else:
        raise ValueError(f"cannot pad a PDF to exactly {size} bytes")
    return Blob([bytes(body), opening, Repeat(_FILLER, padding), closing, trailer])
