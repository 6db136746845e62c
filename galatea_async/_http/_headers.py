"""Pure parsers for the response headers the client acts on, and the check of the extra
request headers a caller may add.

Every parser here takes the raw header text (or ``None`` when the header is absent) and
never raises: a header a proxy mangled is treated as absent, so one odd response cannot turn
a successful download or a retry into a crash.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import unquote_to_bytes

__all__ = [
    "FRAMING_HEADERS",
    "check_extra_headers",
    "conflicting_framing_header",
    "etag_is_strong",
    "parse_content_disposition",
    "parse_content_range",
    "parse_retry_after",
    "repeated_framing_headers",
    "repeated_values",
]

# delta-seconds is an integer in RFC 9110; a decimal ("1.5") is accepted as well, since some
# servers send one. No sign, exponent, "inf" or "nan": those are refused.
_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")

# Longer header values are cut before parsing: no legitimate value comes close.
_MAX_HEADER_LENGTH = 4096


def parse_retry_after(
    value: str | None, *, now: datetime | None = None, maximum: float = 120.0
) -> float | None:
    """The seconds a ``Retry-After`` value asks to wait, clamped to ``[0, maximum]``, or ``None``.

    Accepts delta-seconds (``"5"``, also ``"1.5"``) and HTTP dates (IMF-fixdate, and the
    obsolete RFC 850 and asctime forms); a date in the past gives 0. When a proxy joined
    duplicated headers (``"5, 7"``), the first parseable value wins. ``now`` (default: the
    current UTC time) is what a date is measured from; a naive ``now`` is taken as UTC.
    """
    if not isinstance(value, str):
        return None
    ceiling = maximum if maximum > 0 else 0.0
    parts = value[:_MAX_HEADER_LENGTH].split(",")
    for index, part in enumerate(parts):
        seconds = _parse_delta_seconds(part)
        if seconds is None and index + 1 < len(parts):
            # An HTTP date holds one comma ("Wed, 21 Oct 2015 ..."): try it with the next part.
            seconds = _parse_http_date(f"{part},{parts[index + 1]}", now)
        if seconds is None:
            seconds = _parse_http_date(part, now)
        if seconds is not None:
            return min(max(seconds, 0.0), ceiling)
    return None


def _parse_delta_seconds(text: str) -> float | None:
    text = text.strip()
    if not _DELTA_SECONDS.fullmatch(text):
        return None
    seconds = float(text)  # a huge value becomes inf, clamped by the caller
    return None if math.isnan(seconds) else seconds


def _parse_http_date(text: str, now: datetime | None) -> float | None:
    text = text.strip()
    if not text or _DELTA_SECONDS.fullmatch(text):
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except Exception:  # the stdlib parser raises assorted errors on junk; junk is "absent"
        return None
    if when.tzinfo is None:  # "-0000" and asctime carry no zone; HTTP dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    reference = now if now is not None else datetime.now(timezone.utc)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=timezone.utc)
    try:
        return (when - reference).total_seconds()
    except OverflowError:
        return None


def parse_content_disposition(value: str | None) -> str | None:
    """The file name a ``Content-Disposition`` value gives, unsanitised, or ``None``.

    ``filename*`` (RFC 6266 / RFC 8187: ``UTF-8''caf%C3%A9.tsv``, also ISO-8859-1 and a
    language tag) is preferred over ``filename`` (quoted with backslash escapes, or a bare
    token). Parameter names are case-insensitive, the disposition type may be missing, and
    semicolons inside quotes are kept. The name is returned as the server sent it: pass it
    through ``safe_filename`` before it touches the file system.
    """
    if not isinstance(value, str):
        return None
    text = value[:_MAX_HEADER_LENGTH]
    simple = _SIMPLE_DISPOSITION.fullmatch(text)
    if simple is not None:
        return simple.group(1) or None
    params = _parse_parameters(text)
    extended = params.get("filename*")
    if extended is not None:
        decoded = _decode_extended_value(extended)
        if decoded:
            return decoded
    plain = params.get("filename")
    return plain or None


# What almost every server sends (``attachment; filename="name.tsv"``): a type, then one quoted
# filename without escapes or semicolons. It reads the same as through ``_parse_parameters``,
# in one match instead of a scan.
_SIMPLE_DISPOSITION = re.compile(
    r"""(?:[\t ]*[A-Za-z0-9!#$%&'*+.^_`|~-]*[\t ]*;)?"""  # the type, if any
    r"""[\t ]*filename[\t ]*=[\t ]*"([^"\\;]*)"[\t ]*""",
    re.IGNORECASE,
)
# One ``;``-separated segment: plain characters, or a quoted string in which a backslash
# escapes the next character; an unterminated quote runs to the end (a trailing lone
# backslash included).
_SEGMENT = re.compile(r'(?:[^";]+|"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z))*')
# A quoted value: its content up to the first unescaped quote (or the end; a lone backslash
# at the very end is kept as it is).
_QUOTED = re.compile(r'"((?:[^"\\]|\\[\s\S]|\\\Z)*)')
_ESCAPE = re.compile(r"\\([\s\S])")


def _parse_parameters(text: str) -> dict[str, str]:
    """``name=value`` pairs of a header, names lower-cased, the first of duplicates kept."""
    params: dict[str, str] = {}
    position = 0
    length = len(text)
    while position < length:
        match = _SEGMENT.match(text, position)
        end = match.end() if match else length
        name, sep, raw = text[position:end].partition("=")
        name = name.strip().lower()
        if sep and name and name not in params:
            params[name] = _unquote(raw.strip())
        position = end + 1
    return params


def _unquote(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    match = _QUOTED.match(raw)
    content = match.group(1) if match else raw[1:]
    return _ESCAPE.sub(r"\1", content) if "\\" in content else content


_EXTENDED_CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "iso-8859-1": "latin-1",
    "latin1": "latin-1",
}


def _decode_extended_value(raw: str) -> str | None:
    """The text of an RFC 8187 ``charset'language'percent-encoded`` value, or ``None``."""
    charset, first_quote, rest = raw.partition("'")
    _language, second_quote, encoded = rest.partition("'")
    if not (first_quote and second_quote):
        return None
    codec = _EXTENDED_CHARSETS.get(charset.strip().lower())
    if codec is None:
        return None
    try:
        return unquote_to_bytes(encoded).decode(codec)
    except UnicodeDecodeError:
        return None


# Byte positions: 20 digits reach past 2**64, far beyond any file; more is junk (and int() of
# thousands of digits is refused by Python anyway).
_CONTENT_RANGE = re.compile(r"\s*bytes\s+(\d{1,20})-(\d{1,20})/(\d{1,20}|\*)\s*", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``(first, last, complete_length_or_None)`` from ``bytes a-b/N`` or ``bytes a-b/*``.

    ``None`` for anything else, and for a range that cannot be right: ``last < first`` or
    ``last >= N``.
    """
    if not isinstance(value, str):
        return None
    match = _CONTENT_RANGE.fullmatch(value[:_MAX_HEADER_LENGTH])
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if last < first or (total is not None and last >= total):
        return None
    return first, last, total


# An opaque-tag: a quoted string of etagc characters (RFC 9110 section 8.8.3).
_STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]*"')


def etag_is_strong(etag: str | None) -> bool:
    """Whether ``etag`` is a well-formed strong validator, the only kind ``If-Range`` may carry.

    A weak tag (``W/"..."``), an unquoted one or anything malformed is not.
    """
    if not isinstance(etag, str):
        return False
    return _STRONG_ETAG.fullmatch(etag.strip()) is not None


# A header name is an RFC 9110 token; a value may not break the line.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_VALUE = re.compile(r"[\r\n\x00]")
# Credentials are the SDK's; framing and content negotiation too (they decide how a body is
# read and checked).
_REFUSED_HEADERS = {
    "authorization": "credentials are the client's own (api_key=, or email= and password=)",
    "proxy-authorization": "credentials are the client's own (api_key=, or email= and password=)",
    "host": "the SDK sets it from base_url",
    "content-length": "the SDK frames each request body itself",
    "transfer-encoding": "the SDK frames each request body itself",
    "content-encoding": "the SDK frames each request body itself",
    "accept-encoding": "the SDK decides how answers are encoded (and checks downloads byte "
    "for byte)",
    "range": "the download engine asks for ranges itself",
    "if-range": "the download engine asks for ranges itself",
    "connection": "the connection pool manages connections",
}


def check_extra_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``headers`` as ``(lower-case name, value)`` pairs, once each is known to be safe to add.

    ``ValueError`` names the header and the reason for one the SDK sets itself
    (``Authorization`` above all: extra headers never replace credentials), a name that is not
    an HTTP token, or a value that is not a string or would break the line. Values are never
    echoed.
    """
    if not isinstance(headers, Mapping):
        raise TypeError("headers must be a mapping of header names to values")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(f"extra header name {name!r} is not a valid HTTP header name")
        reason = _REFUSED_HEADERS.get(name.lower())
        if reason is not None:
            raise ValueError(f"with_options(headers=...) cannot set {name}: {reason}")
        if not isinstance(value, str):
            raise TypeError(f"the value of extra header {name} must be a str")
        if _FORBIDDEN_VALUE.search(value):
            raise ValueError(
                f"the value of extra header {name} contains a line break or NUL: refused"
            )
        checked[name.lower()] = value
    return tuple(checked.items())


# The headers that decide where a body's bytes go and what they are. Sent twice with different
# values, the two transports read them differently (httpx joins the lines, aiohttp's ``get``
# takes the first), so such an answer is refused rather than read one way or the other.
FRAMING_HEADERS = ("Content-Length", "Content-Encoding", "Content-Range", "Content-Disposition")


def repeated_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every line's value of header ``name``, in order (an httpx ``Headers``, a multidict, or a
    plain mapping holding one value per name)."""
    get_list = getattr(headers, "get_list", None)  # httpx.Headers
    if callable(get_list):
        return [str(value) for value in get_list(name)]
    get_all = getattr(headers, "getall", None)  # aiohttp's CIMultiDictProxy
    if callable(get_all):
        return [str(value) for value in get_all(name, [])]
    value = headers.get(name)
    return [] if value is None else [value]


def repeated_framing_headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Each of ``FRAMING_HEADERS`` sent on more than one line, with its lines' values.

    Almost every answer repeats none, so aiohttp's multidict is asked once a name and nothing
    else is built.
    """
    get_all = getattr(headers, "getall", None)
    if callable(get_all):
        found = [(name, get_all(name, ())) for name in FRAMING_HEADERS]
    else:
        found = [(name, repeated_values(headers, name)) for name in FRAMING_HEADERS]
    return {name: [str(value) for value in values] for name, values in found if len(values) > 1}


def conflicting_framing_header(lines: Mapping[str, list[str]]) -> str | None:
    """The first framing header whose repeated lines disagree, or ``None``.

    ``lines`` maps each of ``FRAMING_HEADERS`` to its values. Identical repeats are one header;
    ``Content-Encoding`` repeated counts as a conflict unless every line is ``identity``: httpx
    stacks the codings of repeated lines, aiohttp reads the first.
    """
    for name in FRAMING_HEADERS:
        values = [value.strip()[:_MAX_HEADER_LENGTH] for value in lines.get(name, [])]
        if len(values) < 2:
            continue
        if name == "Content-Encoding":
            if any(value.lower() != "identity" for value in values):
                return name
        elif len(set(values)) > 1:
            return name
    return None
