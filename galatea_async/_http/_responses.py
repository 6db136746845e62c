"""Pure decisions about a response: decode its JSON liberally, or turn it into an error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from galatea_async._http._headers import parse_retry_after
from galatea_async._http._redact import redact_value
from galatea_async.errors import (
    APIError,
    InvalidResponseError,
    UnexpectedRedirectError,
    error_class_for_status,
)

__all__ = ["decode_json", "error_for_status", "request_id_of", "strip_trailing_commas"]

_MAX_DETAIL_CHARS = 500
# The names servers and load balancers give the request id, looked up in this order.
REQUEST_ID_HEADERS = ("x-request-id", "request-id")
# A request id longer than this is cut: ids are short; the header is the server's to fill.
_MAX_REQUEST_ID_CHARS = 200


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id the server sent (``X-Request-ID``/``X-Request-Id``/``Request-Id``),
    printable characters only and at most 200 of them; ``None`` when there is none."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            shown = "".join(char for char in value.strip() if char.isprintable())
            return shown[:_MAX_REQUEST_ID_CHARS] or None
    return None


def strip_trailing_commas(text: str) -> str:
    """``text`` without commas that stand right before a closing ``]`` or ``}``.

    The reference's examples (and some servers) write ``[1, 2,]``; strings are left alone.
    """
    out: list[str] = []
    in_string = escaped = False
    pending_comma: int | None = None
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "]}" and pending_comma is not None:
            del out[pending_comma]
            pending_comma = None
        elif char == ",":
            pending_comma = len(out)
        elif not char.isspace():
            pending_comma = None
        if char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


def decode_json(
    content: bytes, *, status_code: int, content_type: str | None, method: str, path: str
) -> Any:
    """The decoded body; ``InvalidResponseError`` naming what came instead of JSON."""
    if not content.strip():
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidResponseError(
            "the response body is not UTF-8 text, so not the JSON the API documents",
            status_code=status_code,
            method=method,
            path=path,
        ) from None
    for lenient in (False, True):
        try:
            return json.loads(strip_trailing_commas(text) if lenient else text)
        except ValueError:
            pass
        except RecursionError:
            raise InvalidResponseError(
                "the JSON body is nested too deeply to be an answer of the API",
                status_code=status_code,
                method=method,
                path=path,
            ) from None
    looks_html = text.lstrip()[:1] == "<" or "html" in (content_type or "").lower()
    what = (
        f"an HTML page ({content_type or 'no content type'}): a proxy, captive portal or "
        "wrong base_url is likely in the way"
        if looks_html
        else "JSON that does not parse (truncated or malformed)"
    )
    raise InvalidResponseError(
        f"expected JSON but got {what}", status_code=status_code, method=method, path=path
    )


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:_MAX_DETAIL_CHARS]


def _detail(body: Any) -> str | None:
    """The server's explanation, from a body already redacted: DRF's ``detail`` (a string, a
    list or a nested structure), ``message`` or ``error``, else the whole body, compacted."""
    safe = redact_value(body)  # patient and secret keys' values go before anything is shown
    if isinstance(safe, dict):
        for key in ("detail", "details", "message", "error"):
            value = safe.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:_MAX_DETAIL_CHARS]
            if value:
                return _compact(value)
        return _compact(safe) if safe else None
    if isinstance(safe, list) and safe:
        return _compact(safe)
    if isinstance(safe, str) and safe.strip():
        return safe.strip()[:_MAX_DETAIL_CHARS]
    return None


def error_for_status(
    *,
    status_code: int,
    content: bytes,
    headers: dict[str, str],
    method: str,
    path: str,
) -> APIError:
    """The ``APIError`` subclass for an error status, with the server's ``detail`` message."""
    content_type = headers.get("content-type")
    retry_after = parse_retry_after(headers.get("retry-after"))
    request_id = request_id_of(headers)
    cls = error_class_for_status(status_code)
    if cls is UnexpectedRedirectError:
        location = headers.get("location", "")
        target = location.split("?", 1)[0] or "no Location"
        return UnexpectedRedirectError(
            f"the API answered with a redirect to {target}; API calls do not follow redirects "
            "(a proxy or login page may be in the way, or base_url is wrong)",
            status_code=status_code,
            method=method,
            path=path,
            headers=headers,
            request_id=request_id,
        )
    try:
        body = decode_json(
            content, status_code=status_code, content_type=content_type, method=method, path=path
        )
        message = _detail(body) or f"HTTP {status_code} with an empty body"
    except InvalidResponseError:
        body = None
        kind = "an HTML page" if "html" in (content_type or "").lower() else "a non-JSON body"
        message = f"HTTP {status_code} with {kind}"
    if retry_after is not None and status_code in (429, 503):
        message += f" (retry after {retry_after:g} s)"
    if request_id is not None:
        message += f" (request id {request_id})"
    return cls(
        message,
        status_code=status_code,
        body=body,
        method=method,
        path=path,
        retry_after=retry_after,
        headers=headers,
        request_id=request_id,
    )
