"""Checks on the caller's arguments, made before any request is sent.

Each raises ``ValueError`` (or ``TypeError``) with a message that names the argument, what was
wrong and how to fix it. None of them echoes a patient field's value.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from galatea_async._enums import CANCER_REPORT_TYPES, PdfReportType, ResultType
from galatea_async._models import PdfMetadata

__all__ = [
    "ANCESTRY_PDF_MODEL",
    "check_api_key",
    "check_count",
    "check_credential",
    "check_date",
    "check_dest",
    "check_download_arguments",
    "check_id",
    "check_ids",
    "check_limit",
    "check_page_size",
    "check_progress",
    "check_result_type",
    "check_seconds",
    "check_tag_name",
    "check_text",
    "pdf_metadata_payload",
    "pdf_report_types_payload",
]

ANCESTRY_PDF_MODEL = "ancestry pdf model"
MAX_PAGE_SIZE = 1000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PDF_DATE_FIELDS = ("dob", "collected", "received")
_EXAMPLE_ID = "9085d0d2-3333-1111-2222-4114602c2aa6"
# An id already in the form ``str(uuid.UUID(...))`` gives: returned as it is, unparsed.
_CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_id(value: str | uuid.UUID, name: str) -> str:
    """The canonical text of a UUID id; ``ValueError`` naming ``name`` if it is not one."""
    if type(value) is str and _CANONICAL_ID.fullmatch(value):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or uuid.UUID, got {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(
            f"{name} must be a UUID such as {_EXAMPLE_ID!r}, got {_shown(value)}"
        ) from None


def check_ids(values: Iterable[str | uuid.UUID], name: str) -> list[str]:
    """Each id checked; a lone string is refused, since it would be iterated by character."""
    if isinstance(values, (str, uuid.UUID)):
        raise TypeError(f"{name} must be a list of ids, not a single id: use [{name[:-1]}]")
    return [check_id(value, name) for value in values]


def check_result_type(value: ResultType | str, name: str = "result_type") -> ResultType:
    """A documented ``ResultType``: a member, or one's value in any case."""
    return ResultType.from_caller(value, name)


def check_date(value: dt.date | str, name: str) -> str:
    """``YYYY-MM-DD`` text from a ``date`` or a string already in that form."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(
        f"{name} must be a date in YYYY-MM-DD form (or a datetime.date), got {_shown(value)}"
    )


def check_tag_name(name: object) -> str:
    """A tag name with surrounding space removed; empty names are refused."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a tag name must be a non-empty string, e.g. 'batch-2025-07'")
    return name.strip()


def check_text(value: object, name: str) -> str:
    """A non-empty string argument."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value.strip()


def check_page_size(value: int | None) -> int | None:
    """``page_size`` between 1 and the API's maximum, or ``None`` for the default."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, got {_shown(value)}")
    return value


def check_limit(value: int | None) -> int | None:
    """``limit`` (the most items a listing yields) as a non-negative int, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"limit must be a non-negative int or None, got {_shown(value)}")
    return value


def pdf_report_types_payload(values: Iterable[PdfReportType | str]) -> list[str]:
    """The report types as the API's strings; unknown names are refused."""
    if isinstance(values, str):
        raise TypeError("pdf_report_types must be a list, e.g. [PdfReportType.PRS_RUO_CARDIO]")
    result: list[str] = []
    for value in values:
        result.append(PdfReportType.from_caller(value, "pdf_report_types").value)
    return result


def pdf_metadata_payload(
    metadata: PdfMetadata | Mapping[str, Any] | None,
    *,
    model_name: str,
    pdf_report_types: list[str],
) -> dict[str, Any] | None:
    """The ``pdf_metadata`` object to send, checked against what the model and reports need.

    Messages name the missing or malformed field, never its value: these are patient details.
    """
    if metadata is None:
        payload: dict[str, Any] = {}
    elif isinstance(metadata, PdfMetadata):
        payload = metadata.to_payload()
    elif isinstance(metadata, Mapping):
        payload = {str(key): value for key, value in metadata.items() if value is not None}
    else:
        raise TypeError("pdf_metadata must be a PdfMetadata, a dict, or None")

    for field in _PDF_DATE_FIELDS:
        if field in payload:
            value = payload[field]
            if isinstance(value, dt.date):
                payload[field] = value.isoformat()
            elif not (isinstance(value, str) and _DATE.match(value)):
                raise ValueError(f"pdf_metadata.{field} must be a date in YYYY-MM-DD form")

    if any(kind in CANCER_REPORT_TYPES for kind in pdf_report_types):
        sex = payload.get("sex")
        if not isinstance(sex, str) or sex.strip().lower() not in {"male", "female"}:
            raise ValueError(
                "cancer PDF reports (PRS_RUO_CANCER, PRS_CLINICAL_CANCER) need "
                "pdf_metadata.sex set to 'Male' or 'Female'"
            )
    if model_name.strip().lower() == ANCESTRY_PDF_MODEL:
        name = payload.get("patient_name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"the {ANCESTRY_PDF_MODEL!r} needs pdf_metadata.patient_name (a non-empty string)"
            )
    return payload or None


def check_credential(value: object, name: str) -> str | None:
    """An API key, email or password as given: a ``str`` (or ``None``); never echoed."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{name} must be a str, not bytes: pass {name}=value.decode()")
    raise TypeError(f"{name} must be a str, got {type(value).__name__}")


# What an API key may hold: it is sent as ``Authorization: Bearer <key>``, printable ASCII.
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def check_api_key(value: str) -> str:
    """An API key without surrounding whitespace (a copy-paste's newline); ``ValueError``,
    never echoing it, when what is left cannot be sent in a header."""
    key = value.strip()
    if not key:
        raise ValueError("api_key is empty")
    if not _HEADER_TOKEN.fullmatch(key):
        raise ValueError(
            "api_key holds a space, a control character or a non-ASCII character, so it "
            "cannot be the key the API issued: copy it again (GALATEA_API_KEY included)"
        )
    return key


def check_seconds(value: object, name: str) -> float | None:
    """A positive, finite number of seconds, or ``None`` for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a number of seconds (or None for no limit), "
            f"got {type(value).__name__} {_shown(value)}"
        )
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return float(value)


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """A whole number (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {_shown(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_dest(dest: object, name: str = "dest") -> None:
    """A destination path: a ``str`` or ``os.PathLike`` without NUL characters."""
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {type(dest).__name__}")
    text = os.fspath(dest)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a text path, not bytes: pass os.fsdecode(path)")
    if "\0" in text:
        raise ValueError(f"{name} contains a NUL character, which no file system accepts")


def check_progress(progress: object, name: str = "progress") -> None:
    """A progress callback is callable (or ``None``)."""
    if progress is not None and not callable(progress):
        raise TypeError(
            f"{name} must be a callable such as lambda done, total: ..., "
            f"got {type(progress).__name__}"
        )


def check_download_arguments(
    dest: object, progress: object = None, file_progress: object = None
) -> None:
    """The arguments every download method shares, checked before its first request."""
    check_dest(dest)
    check_progress(progress)
    check_progress(file_progress, "file_progress")
