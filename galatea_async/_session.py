"""What every part of the download engine shares: options, progress, the open response.

``Session`` holds the one open response of a download (or of one part of it) and replaces it
when the download resumes; its close is shielded, so a cancelled download still hands its
connection back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack

import anyio
import attrs
import httpx

from galatea_async._ranges import BodyInfo, describe_response
from galatea_async._wire import WireResponse
from galatea_async.errors import APIConnectionError, APITimeoutError, InvalidResponseError

__all__ = [
    "DEFAULT_OPTIONS",
    "IDENTITY",
    "Block",
    "Buffer",
    "OpenStream",
    "Progress",
    "ResourceChanged",
    "Session",
    "TransferOptions",
    "connection_error",
    "report",
]

Progress = Callable[[int, "int | None"], object]
"""``progress(done_bytes, total_bytes_or_None)``; may be sync or return an awaitable."""

OpenStream = Callable[[Mapping[str, str]], AbstractAsyncContextManager[WireResponse]]
"""``open_stream(extra_headers)`` opens the GET and yields the open 200/206 response."""

# Files are compared byte for byte with what the server announced: no transfer decoding.
IDENTITY: Mapping[str, str] = {"Accept-Encoding": "identity"}


@attrs.frozen
class TransferOptions:
    """How downloads move: chunk size, when and how to split, resume attempts, durability.

    ``concurrency`` bounds the connections one download uses for parallel parts (when no batch
    limiter is shared). ``fsync=False`` skips flushing to disk before the rename: faster,
    but a power cut may then leave an empty or partial file under the final name.
    """

    chunk_size: int = attrs.field(default=1 << 20, validator=attrs.validators.ge(1))
    parallel_threshold: int = attrs.field(default=64 << 20, validator=attrs.validators.ge(0))
    part_size: int = attrs.field(default=16 << 20, validator=attrs.validators.ge(1))
    max_resume_attempts: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    concurrency: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    fsync: bool = True


DEFAULT_OPTIONS = TransferOptions()


async def report(progress: Progress | None, done: int, total: int | None) -> None:
    """Call ``progress``, awaiting it if it is a coroutine function."""
    if progress is None:
        return
    result = progress(done, total)
    if inspect.isawaitable(result):
        await result


def connection_error(error: BaseException, label: str, attempts: int) -> APIConnectionError:
    """The error raised when a body still breaks after every resume attempt."""
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(
        f"the download of {label} broke off {attempts} times "
        f"(last: {type(error).__name__}: {error}); nothing was kept, try again later"
    )


class Session:
    """The one open response of a download, replaced when the download resumes."""

    def __init__(self, open_stream: OpenStream) -> None:
        self._open_stream = open_stream
        self._stack: AsyncExitStack | None = None
        self._response: WireResponse | None = None

    @property
    def open_stream(self) -> OpenStream:
        """The callable this session opens requests with."""
        return self._open_stream

    @property
    def response(self) -> WireResponse:
        if self._response is None:
            raise RuntimeError("no response is open")
        return self._response

    async def open(self, headers: Mapping[str, str]) -> BodyInfo:
        """Open a new request with ``headers`` (closing the previous one); its ``BodyInfo``."""
        await self.close()
        stack = AsyncExitStack()
        response = await stack.enter_async_context(self._open_stream({**IDENTITY, **headers}))
        self._stack, self._response = stack, response
        if response.status_code not in (200, 206):
            raise InvalidResponseError(
                "expected the file (200 or 206)",
                status_code=response.status_code,
                method="GET",
                path=httpx.URL(response.url).path,
            )
        return describe_response(response.status_code, response.headers)

    async def close(self) -> None:
        stack, self._stack, self._response = self._stack, None, None
        if stack is not None:
            # Closing must finish even in a cancelled scope, or the connection leaks.
            with anyio.CancelScope(shield=True):
                await stack.aclose()


@attrs.frozen
class Block:
    """About ``chunk_size`` received bytes, kept as the pieces they arrived in (no copy)."""

    pieces: list[bytes]
    size: int

    def join(self) -> bytes:
        """The bytes as one object (one copy)."""
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)

    def first(self, count: int) -> Block:
        """The first ``count`` bytes of the block."""
        if count >= self.size:
            return self
        kept: list[bytes] = []
        remaining = count
        for piece in self.pieces:
            if remaining <= 0:
                break
            kept.append(piece[:remaining])
            remaining -= len(kept[-1])
        return Block(kept, count)


class Buffer:
    """Gathers received pieces into a ``Block`` of about ``chunk_size`` for one disk write."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.size = 0

    def add(self, piece: bytes) -> int:
        """Keep ``piece``; how many bytes are now held."""
        if piece:
            self._pieces.append(piece)
            self.size += len(piece)
        return self.size

    def take(self) -> Block:
        """Everything held, as a ``Block``; the buffer is then empty."""
        block = Block(self._pieces, self.size)
        self._pieces, self.size = [], 0
        return block


class ResourceChanged(Exception):
    """The file changed on the server mid-download (a part came back whole): start over."""
