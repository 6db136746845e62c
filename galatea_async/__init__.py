"""galatea_async: the asynchronous Python SDK for the GalateaBio Ancestry API.

```python
from galatea_async import AsyncGalatea, ResultType

async with AsyncGalatea(api_key="...") as client:
    async for order in client.orders.list(status_group="completed"):
        await client.results.download(order.id, ResultType.SUMMARY_CHROMS, dest="out/")
```
"""

from galatea_async import webhooks
from galatea_async._base_url import PRODUCTION, SANDBOX
from galatea_async._client import DEFAULT_MAX_CONNECTIONS, AsyncGalatea
from galatea_async._download import (
    DownloadOutcome,
    DownloadRequest,
    StreamedDownload,
    SyncReport,
    TransferOptions,
)
from galatea_async._enums import (
    FileStatus,
    GenomeType,
    OrderStatus,
    PdfReportType,
    ResultType,
    StatusGroup,
)
from galatea_async._http._retry import RetryPolicy
from galatea_async._http._transport import AiohttpTransport
from galatea_async._models import (
    Order,
    Organization,
    OrganizationModel,
    PdfMetadata,
    PdfReport,
    SourceFile,
    Tag,
    Tokens,
    User,
)
from galatea_async._upload_batch import UploadOutcome
from galatea_async._version import __version__
from galatea_async.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ArchiveIntegrityError,
    AuthenticationError,
    BadRequestError,
    ChecksumMismatchError,
    FileValidationError,
    GalateaError,
    InternalServerError,
    InvalidResponseError,
    InvalidSignatureError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    OrderFailedError,
    OrderSubmissionUncertainError,
    PermissionDeniedError,
    ProxyError,
    RateLimitError,
    RemoteFileChangedError,
    ServiceUnavailableError,
    SftpError,
    SftpFileExistsError,
    SftpHostKeyError,
    SizeMismatchError,
    UnexpectedRedirectError,
    UnprocessableEntityError,
    UploadTooLargeError,
    WaitTimeoutError,
)

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "PRODUCTION",
    "SANDBOX",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AiohttpTransport",
    "ArchiveIntegrityError",
    "AsyncGalatea",
    "AuthenticationError",
    "BadRequestError",
    "ChecksumMismatchError",
    "DownloadOutcome",
    "DownloadRequest",
    "FileStatus",
    "FileValidationError",
    "GalateaError",
    "GenomeType",
    "InternalServerError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "MethodNotAllowedError",
    "NotAcceptableError",
    "NotFoundError",
    "Order",
    "OrderFailedError",
    "OrderStatus",
    "OrderSubmissionUncertainError",
    "Organization",
    "OrganizationModel",
    "PdfMetadata",
    "PdfReport",
    "PdfReportType",
    "PermissionDeniedError",
    "ProxyError",
    "RateLimitError",
    "RemoteFileChangedError",
    "ResultType",
    "RetryPolicy",
    "ServiceUnavailableError",
    "SftpError",
    "SftpFileExistsError",
    "SftpHostKeyError",
    "SizeMismatchError",
    "SourceFile",
    "StatusGroup",
    "StreamedDownload",
    "SyncReport",
    "Tag",
    "Tokens",
    "TransferOptions",
    "UnexpectedRedirectError",
    "UnprocessableEntityError",
    "UploadOutcome",
    "UploadTooLargeError",
    "User",
    "WaitTimeoutError",
    "__version__",
    "webhooks",
]
