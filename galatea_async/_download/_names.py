"""Safe file names for downloads: the server's name made harmless, or a fallback (pure).

The server names result files through ``Content-Disposition``; that name is untrusted text.
``safe_filename`` turns it into one harmless path component, so a download always lands
directly inside the directory the caller chose, whatever the server sends.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeGuard

from galatea_async._enums import RESULT_TYPE_EXTENSIONS

__all__ = ["distinct_name", "fallback_name", "is_one_component", "name_key", "safe_filename"]

# Used when both the server's name and the caller's fallback sanitise to nothing.
_LAST_RESORT_NAME = "download"

# Characters Windows forbids in names; replaced so a name stays portable.
_FORBIDDEN = str.maketrans({char: "_" for char in '<>:"|?*'})

# Unicode categories removed outright: controls (C0, DEL, C1), format characters (bidi
# overrides such as U+202E that disguise "fdp.exe" as "exe.pdf", zero-width characters),
# lone surrogates (which cannot even be encoded to write the file), line/paragraph separators.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Stripped from both ends: Windows drops trailing dots and spaces, and a leading dot hides a file.
_STRIP = ". \t\n\r\x0b\x0c\u00a0\u3000"

# Device names Windows reserves whatever the extension ("con.txt" is the console too).
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{device}{digit}" for device in ("com", "lpt") for digit in "123456789\u00b9\u00b2\u00b3"}
)

# An extension longer than this is treated as part of the name when truncating.
_MAX_EXTENSION_BYTES = 32


def safe_filename(name: str | None, *, fallback: str, max_bytes: int = 255) -> str:
    """A single harmless file name made from ``name``, or from ``fallback`` if nothing is left.

    Keeps only the last path component (splitting on ``/`` and ``\\``), removes control,
    format and bidi characters, replaces ``<>:"|?*`` with ``_``, strips leading and trailing
    dots and spaces (so no hidden files, no ``.`` or ``..``), NFC-normalises, refuses Windows
    device names (``CON``, ``nul.txt``, ``COM1``...) and truncates to ``max_bytes`` UTF-8 bytes,
    keeping the extension and never splitting a character. The result is never empty.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
    if _is_plainly_safe(name, max_bytes):
        return name  # the common case, decided without a pass per character
    for candidate in (name, fallback, _LAST_RESORT_NAME):
        cleaned = _clean(candidate, max_bytes)
        if cleaned is not None:
            return cleaned
    return _LAST_RESORT_NAME[:max_bytes]  # only reached when max_bytes is tiny


# ASCII letters, digits, "_", "+", "-" and inner dots: nothing to remove, replace or strip.
_PLAIN = re.compile(r"[A-Za-z0-9_+-](?:[A-Za-z0-9_.+-]*[A-Za-z0-9_+-])?")


def _is_plainly_safe(name: str | None, max_bytes: int) -> TypeGuard[str]:
    return (
        isinstance(name, str)
        and len(name) <= max_bytes
        and _PLAIN.fullmatch(name) is not None
        and not _is_windows_reserved(name)
    )


def _clean(name: str | None, max_bytes: int) -> str | None:
    if not isinstance(name, str):
        return None
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in _REMOVED_CATEGORIES)
    name = name.translate(_FORBIDDEN).strip(_STRIP)
    name = _truncate(name, max_bytes).strip(_STRIP)
    if not name or _is_windows_reserved(name):
        return None
    return name


def _is_windows_reserved(name: str) -> bool:
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.casefold() in _WINDOWS_RESERVED


def _truncate(name: str, max_bytes: int) -> str:
    """``name`` cut to ``max_bytes`` UTF-8 bytes, keeping a short extension when it fits."""
    encoded = name.encode("utf-8")
    if len(encoded) <= max_bytes:
        return name
    stem, dot, extension = name.rpartition(".")
    extension_bytes = (dot + extension).encode("utf-8")
    if stem and dot and len(extension_bytes) <= min(_MAX_EXTENSION_BYTES, max_bytes // 2):
        room = max_bytes - len(extension_bytes)
        return _cut_utf8(stem, room).rstrip(_STRIP) + dot + extension
    return _cut_utf8(name, max_bytes)


def _cut_utf8(text: str, max_bytes: int) -> str:
    # "ignore" drops only the partial character the cut made at the end.
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def distinct_name(name: str, tag: str, *, max_bytes: int = 255) -> str:
    """``name`` with ``.{tag}`` before its extension, within ``max_bytes`` UTF-8 bytes.

    The stem gives way to the tag and the extension, so two names that differ only in their
    tags stay distinct however long they are. ``name`` is a safe name; ``tag`` plain ASCII.
    """
    stem, dot, extension = name.rpartition(".")
    if not (stem and dot) or len((dot + extension).encode("utf-8")) > _MAX_EXTENSION_BYTES:
        stem, dot, extension = name, "", ""
    suffix = f".{tag}{dot}{extension}"
    room = max_bytes - len(suffix.encode("utf-8"))
    if room < 1:
        raise ValueError(f"the tag {tag!r} leaves no room for a name in {max_bytes} bytes")
    return (_cut_utf8(stem, room).rstrip(_STRIP) or _LAST_RESORT_NAME[:room]) + suffix


def name_key(name: str) -> str:
    """What two names must differ in to be two files everywhere: NFC, and case folded (macOS
    and Windows folders ignore case)."""
    return unicodedata.normalize("NFC", name).casefold()


def fallback_name(order_id: str, result_type: str, *, pdf_request_id: str | None = None) -> str:
    """The file name used when the server sends none: ``{order_id}_{result_type}{extension}``.

    The extension comes from the result type (``.bin`` when unknown). A PDF report gets
    ``.pdf`` and its request id in the name, so two reports of one order do not collide.
    """
    type_name = str(result_type)
    if pdf_request_id is not None:
        return f"{order_id}_{type_name}_{pdf_request_id}.pdf"
    return f"{order_id}_{type_name}{RESULT_TYPE_EXTENSIONS.get(type_name, '.bin')}"


def is_one_component(name: str) -> bool:
    """Whether ``name`` is a single path component (no separator, not ``.`` or ``..``)."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name and "\0" not in name
