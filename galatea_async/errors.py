"""Exceptions raised by galatea_async.

The whole tree::

    GalateaError
    ├── APIError                      the server answered with an error status
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── MethodNotAllowedError     405
    │   ├── NotAcceptableError        406
    │   ├── UnprocessableEntityError  422
    │   ├── RateLimitError            429
    │   ├── InternalServerError       500 and any other 5xx
    │   │   └── ServiceUnavailableError   503
    │   ├── UnexpectedRedirectError   a 3xx where the API answers directly
    │   └── InvalidResponseError      a 2xx body that is not the JSON promised
    ├── APIConnectionError            the request failed in transport
    │   ├── APITimeoutError           ... because a timeout or deadline ran out
    │   ├── ProxyError                ... because the proxy could not be reached or refused
    │   └── RemoteFileChangedError    ... because the file kept changing on the server
    ├── OrderSubmissionUncertainError a submit failed ambiguously; the order may exist
    ├── ChecksumMismatchError         a file's md5 is not the one listed
    │   └── SizeMismatchError         ... or its byte count is not the one listed or sent
    ├── ArchiveIntegrityError         a gzip or zip file to upload is damaged (a ValueError)
    ├── UploadTooLargeError           a file is over the API's upload limit (a ValueError)
    ├── FileValidationError           a source file ended NOT_VALID or FAILED
    ├── OrderFailedError              an order ended in a failed status
    ├── WaitTimeoutError              a wait_* call ran out of time
    ├── InvalidSignatureError         a webhook signature is missing or wrong
    └── SftpError                     an SFTP connection or upload failed
        ├── SftpHostKeyError          the server's host key is unknown or changed
        └── SftpFileExistsError       the remote file exists (pass overwrite=True)

Every message is built from ids, statuses and the server's ``detail`` only, and is passed
through the redactor, so no token, password, webhook secret or patient field reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from galatea_async._http._redact import redact_headers, redact_text, redact_value

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "ArchiveIntegrityError",
    "AuthenticationError",
    "BadRequestError",
    "ChecksumMismatchError",
    "FileValidationError",
    "GalateaError",
    "InternalServerError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "MethodNotAllowedError",
    "NotAcceptableError",
    "NotFoundError",
    "OrderFailedError",
    "OrderSubmissionUncertainError",
    "PermissionDeniedError",
    "ProxyError",
    "RateLimitError",
    "RemoteFileChangedError",
    "ServiceUnavailableError",
    "SftpError",
    "SftpFileExistsError",
    "SftpHostKeyError",
    "SizeMismatchError",
    "UnexpectedRedirectError",
    "UnprocessableEntityError",
    "UploadTooLargeError",
    "WaitTimeoutError",
    "error_class_for_status",
]


class GalateaError(Exception):
    """The root of every error galatea_async raises on purpose."""

    def __init__(self, message: str) -> None:
        self.message = redact_text(message)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def _redact_values(self, values: Iterable[str]) -> None:
        """Replace one request's sensitive ``values`` (patient fields) wherever this error
        shows them; the request path calls it for every error of that request."""
        self.message = redact_text(self.message, values)
        self.args = (self.message,)


class APIError(GalateaError):
    """The API answered with a status that is not a success.

    ``headers`` are the answer's headers (names in lower case, credentials hidden, values
    redacted like the body); ``request_id`` is the id the server gave the request
    (``X-Request-ID`` or ``Request-Id``), worth quoting to support, else ``None``.
    """

    status_code: int | None
    body: Any
    method: str | None
    path: str | None
    headers: Mapping[str, str]
    request_id: str | None

    def _redact_values(self, values: Iterable[str]) -> None:
        super()._redact_values(values)
        self.body = redact_value(self.body, values)
        self.headers = redact_headers(self.headers.items(), values)
        if self.request_id is not None:
            self.request_id = redact_value(self.request_id, values)

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = redact_value(body)
        self.method = method
        self.path = path
        self.retry_after = retry_after
        self.headers = redact_headers(headers.items() if headers else ())
        self.request_id = redact_text(request_id) if request_id else None
        where = f"{method} {path}" if method and path else None
        prefix = " ".join(part for part in (where, _status_text(status_code)) if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def _status_text(status_code: int | None) -> str | None:
    return None if status_code is None else f"-> {status_code}"


class BadRequestError(APIError):
    """400: the request is invalid (the server's ``detail`` says why)."""


class AuthenticationError(APIError):
    """401: the API key, token or password was refused."""


class PermissionDeniedError(APIError):
    """403: the resource is hidden from this account."""


class NotFoundError(APIError):
    """404: no such resource (or not visible to this organization)."""


class MethodNotAllowedError(APIError):
    """405: the endpoint does not accept this method."""


class NotAcceptableError(APIError):
    """406: the server cannot produce the requested format."""


class UnprocessableEntityError(APIError):
    """422: the request's data is incorrect."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` holds the server's hint in seconds."""


class InternalServerError(APIError):
    """500 or another 5xx: the server failed."""


class ServiceUnavailableError(InternalServerError):
    """503: the service is offline for maintenance or overloaded."""


class UnexpectedRedirectError(APIError):
    """A 3xx where the API answers directly: often a proxy or captive portal in the way."""


class InvalidResponseError(APIError):
    """A success status whose body is not the JSON the API documents."""


class APIConnectionError(GalateaError):
    """The request could not be completed: DNS, connect, reset, or a broken body."""


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout, or the call's deadline, ran out."""


class ProxyError(APIConnectionError):
    """The forward proxy could not be reached, refused its credentials (407) or refused to
    connect to the API; ``proxy`` is the proxy's ``scheme://host:port`` (never credentials)."""

    def __init__(self, message: str, *, proxy: str) -> None:
        self.proxy = proxy
        super().__init__(message)


class OrderSubmissionUncertainError(GalateaError):
    """A submit failed after the request may have reached the server, and no order was found.

    The order may still appear: look it up with ``client.orders.list(filter=source_file_id)``
    before submitting again.
    """

    def __init__(self, message: str, *, source_file_id: str, model_name: str) -> None:
        self.source_file_id = source_file_id
        self.model_name = model_name
        super().__init__(message)


class ChecksumMismatchError(GalateaError):
    """A file's md5 differs from the one the server listed; no file was kept."""

    def __init__(
        self, message: str, *, expected: str | int | None = None, actual: str | int | None = None
    ) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(message)


class SizeMismatchError(ChecksumMismatchError):
    """A file's byte count differs from the size listed, announced or sent.

    A ``ChecksumMismatchError`` too, so one ``except`` catches every body that is not the one
    promised.
    """


class RemoteFileChangedError(APIConnectionError):
    """A file kept changing on the server while it was downloaded; nothing was kept.

    Downloading it again once the server's copy is settled succeeds. An
    ``APIConnectionError`` too: the transfer broke, as when a body is cut, and is retried the
    same way.
    """


class ArchiveIntegrityError(GalateaError, ValueError):
    """A gzip or zip file is damaged (truncated, or its data or directory inconsistent).

    Raised before the file is sent; ``name``, ``offset`` and ``problem`` say where and what.
    """

    def __init__(self, *, name: str, kind: str, offset: int, problem: str) -> None:
        self.name = name
        self.kind = kind
        self.offset = offset
        self.problem = problem
        super().__init__(
            f"{name!r} is a damaged {kind} file at offset {offset}: {problem}; "
            "re-create or re-download it (or pass check_archive=False to send it as it is)"
        )


class UploadTooLargeError(GalateaError, ValueError):
    """The file is over the API's upload limit of ``limit`` bytes; large files go through SFTP."""

    def __init__(
        self,
        size: int | None,
        limit: int,
        *,
        advice: str = "upload it by SFTP instead (galatea_async.sftp)",
    ) -> None:
        self.size = size
        self.limit = limit
        amount = f" ({size} bytes)" if size is not None else ""
        super().__init__(
            f"the file{amount} is over the API's upload limit of {limit} bytes "
            f"({limit / 1_000_000:g} MB); {advice}"
        )


class FileValidationError(GalateaError):
    """A source file ended NOT_VALID or FAILED; ``check_information`` says why."""

    def __init__(
        self,
        message: str,
        *,
        file_id: str,
        status: str,
        check_information: Any = None,
    ) -> None:
        self.file_id = file_id
        self.status = status
        self.check_information = check_information
        super().__init__(message)


class OrderFailedError(GalateaError):
    """An order ended in a failed status (Failed, Canceled, Reports failed, QC failed)."""

    def __init__(self, message: str, *, order_id: str, status: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(message)


class WaitTimeoutError(GalateaError):
    """A ``wait`` call ran out of time before the file or order reached a final status."""


class InvalidSignatureError(GalateaError):
    """A webhook delivery's ``X-Octopod-Signature`` is missing, malformed or wrong."""


class SftpError(GalateaError):
    """Connecting to, authenticating with or uploading to the SFTP server failed."""


class SftpHostKeyError(SftpError):
    """The SFTP server's host key is not in known_hosts or differs from the one there."""


class SftpFileExistsError(SftpError):
    """The remote file already exists and ``overwrite=True`` was not passed."""


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    503: ServiceUnavailableError,
}


def error_class_for_status(status_code: int) -> type[APIError]:
    """The exception class for an error status: one per documented code, else by class."""
    if status_code in _STATUS_ERRORS:
        return _STATUS_ERRORS[status_code]
    if status_code >= 500:
        return InternalServerError
    if 300 <= status_code < 400:
        return UnexpectedRedirectError
    return APIError
