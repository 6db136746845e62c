"""Reading one download's body: blocks, resumption, the speed floor.

The open response is a ``OpenResponse``'s (``_open_response.py``). ``BodyReader`` turns the body
into blocks (``_blocks.BlockGatherer``'s rule) and owns the one rule for a body that breaks:
resume with ``Range`` + ``If-Range`` where the server allows it, else start over from byte 0
(a 200 is never appended). Whoever consumes the blocks says, through a ``BodyHolder``, how many
bytes it really kept (the resumption starts there) and drops them when the body starts over;
it never decides anything about restarts itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol

import httpx

from galatea_async._download._blocks import Block, BlockGatherer, SpeedFloor
from galatea_async._download._open_response import OpenResponse, path_of
from galatea_async._download._options import TransferOptions
from galatea_async._download._ranges import (
    BodyInfo,
    Decoding,
    Resumption,
    decoding_for,
    judge_resumed,
    resume_headers,
)
from galatea_async._http._decoding import BodyTooLarge, BoundedDecoder, ContentDecodingError
from galatea_async._http._wire import WireResponse
from galatea_async.errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    SizeMismatchError,
)

__all__ = [
    "BodyHolder",
    "BodyReader",
    "broken_too_often",
    "refuse_encoding",
]


class BodyHolder(Protocol):
    """Where a reader's blocks go: it says what it kept, and drops it all on a restart."""

    async def kept(self, position: int) -> int:
        """How many of the ``position`` bytes handed out are really kept (re-check storage)."""
        ...

    async def discard(self) -> None:
        """Drop everything: the body starts over from byte 0 (raise if that is impossible)."""
        ...


def broken_too_often(error: BaseException, label: str, attempts: int) -> APIConnectionError:
    """The error raised when a body still breaks after every resume attempt."""
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(
        f"the download of {label} broke off {attempts} times "
        f"(last: {type(error).__name__}: {error}); nothing was kept, try again later"
    )


def refuse_encoding(info: BodyInfo, decoding: Decoding, response: WireResponse) -> None:
    """Raise ``InvalidResponseError`` if an encoded body may not be decoded."""
    if decoding not in (Decoding.REFUSE_UNKNOWN_SIZE, Decoding.REFUSE_ENCODING):
        return
    why = (
        "its decoded size is unknown, so decoding it could fill the disk"
        if decoding is Decoding.REFUSE_UNKNOWN_SIZE
        else "the SDK decodes only gzip and deflate (stacked or not)"
    )
    raise InvalidResponseError(
        f"the server sent the file {info.encoding}-encoded although the SDK asked for it "
        f"unencoded (Accept-Encoding: identity); {why}, so it was refused and nothing was "
        "written. Ask the server's operator to serve files as they are",
        status_code=response.status_code,
        method="GET",
        path=path_of(response.url),
    )


class BodyReader:
    """The blocks of a whole file, across as many responses as resuming it takes.

    ``info`` describes the file as the latest start announced it. ``limit`` is the most bytes
    the file may have (Content-Length or the caller's expectation); more is a mismatch.
    ``expected_size`` allows decoding an encoded body, capped at it.
    """

    def __init__(
        self,
        exchange: OpenResponse,
        first: BodyInfo,
        holder: BodyHolder,
        *,
        label: str,
        limit: int | None,
        options: TransferOptions,
        expected_size: int | None = None,
    ) -> None:
        self.exchange = exchange
        self.info = first
        self._holder = holder
        self._label = label
        self._limit = limit
        self._options = options
        self._expected_size = expected_size
        self._decoding = decoding_for(first, expected_size)
        refuse_encoding(first, self._decoding, exchange.response)

    async def blocks(self) -> AsyncGenerator[Block, None]:
        """Every block of the file, in order; resumes or restarts a broken body itself."""
        position = self.info.start  # past the bytes an earlier run kept, for a resumed file
        failures = 0
        while True:
            # The body's pieces are read here, not through ``read_blocks``: one async
            # generator a download, not two (each costs the loop's registration and cleanup).
            error: BaseException | None = None
            gatherer = BlockGatherer(
                self.exchange.span,
                chunk_size=self._options.chunk_size,
                floor=SpeedFloor(self._options),
                decoder=self._decoder(),
            )
            try:
                async for raw in self.exchange.response.iter_raw():
                    for block in gatherer.add(raw):
                        self._check_length(block, position)
                        yield block
                        position += block.size
                        del block  # handed on: not held while the next one is gathered
            except httpx.TransportError as exc:
                error = exc
            except ContentDecodingError as exc:
                raise self._decoding_error(exc) from None
            try:
                last = gatherer.finish() if error is None else gatherer.held()
            except ContentDecodingError as exc:
                raise self._decoding_error(exc) from None
            if last is not None:
                self._check_length(last, position)
                yield last  # what arrived before a break, too: resumption starts after
                position += last.size
                del last
            if error is None:
                if self.info.total is None or position == self.info.total:
                    return
                error = httpx.RemoteProtocolError(
                    f"body ended after {position} of {self.info.total} bytes"
                )
            failures += 1
            if failures > self._options.max_resume_attempts:
                raise broken_too_often(error, self._label, failures) from error
            position = await self._resume(await self._holder.kept(position))

    def _check_length(self, block: Block, position: int) -> None:
        total = self.info.total if self.info.total is not None else self._limit
        if total is not None and position + block.size > total:
            raise SizeMismatchError(
                f"the download of {self._label} is longer than the {total} bytes announced; "
                "nothing was kept",
                expected=total,
                actual=position + block.size,
            )

    async def _resume(self, position: int) -> int:
        """Open the rest of the file from ``position``; the position reading goes on from."""
        headers = resume_headers(self.info, position)
        if headers is not None:
            answer = await self.exchange.open(headers)
            verdict = judge_resumed(self.info, answer, position)
            if verdict is Resumption.APPEND:
                return position
            if verdict is Resumption.RESTART:
                await self._restart(answer)
                return 0
        await self._restart(await self.exchange.open_whole(self._options.max_resume_attempts + 1))
        return 0

    async def _restart(self, answer: BodyInfo) -> None:
        await self._holder.discard()
        self.info = answer
        self._decoding = decoding_for(answer, self._expected_size)
        refuse_encoding(answer, self._decoding, self.exchange.response)

    def _decoder(self) -> BoundedDecoder | None:
        if self._decoding is Decoding.DECODE:
            assert self._expected_size is not None
            return BoundedDecoder(self.info.encoding, limit=self._expected_size)
        return None

    def _decoding_error(self, error: Exception) -> Exception:
        response = self.exchange.response
        if isinstance(error, BodyTooLarge):
            assert self._expected_size is not None
            return SizeMismatchError(
                f"the {self.info.encoding}-encoded download of {self._label} decodes to more "
                f"than the {self._expected_size} bytes listed for it; nothing was kept",
                expected=self._expected_size,
                actual=self._expected_size + 1,
            )
        return InvalidResponseError(
            f"the download of {self._label}: {error}; nothing was kept",
            status_code=response.status_code,
            method="GET",
            path=path_of(response.url),
        )
