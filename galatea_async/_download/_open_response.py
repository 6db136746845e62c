"""The one open response of a download (or of one part of it), and what its headers may say.

``OpenResponse`` opens a request through the client's request path, refuses an answer that is
not the file (``judge_answer``, pure: an error status, an HTML page, framing headers repeated
with different values, a size beyond any file), and replaces it when the download resumes. Its
close is shielded, so a cancelled download still hands its connection back.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from galatea_async._download._ranges import (
    MAX_ANNOUNCED_SIZE,
    AbsurdSize,
    BodyInfo,
    covers_whole_file,
    describe_range,
    describe_response,
)
from galatea_async._http._headers import conflicting_framing_header, repeated_framing_headers
from galatea_async._http._tracing import NO_SPAN, CallSpan
from galatea_async._http._wire import OpenStream, WireResponse
from galatea_async.errors import InvalidResponseError

__all__ = ["IDENTITY", "OpenResponse", "judge_answer", "path_of"]

# Files are compared byte for byte with what the server announced: no transfer decoding.
IDENTITY: Mapping[str, str] = {"Accept-Encoding": "identity"}


class OpenResponse:
    """The one open response of a download (or of one part), replaced when it resumes.

    ``span`` is the download's trace span: every request is recorded on it.
    """

    def __init__(self, open_stream: OpenStream, span: CallSpan = NO_SPAN) -> None:
        self.open_stream = open_stream
        self.span = span
        self._opened: object | None = None
        self._response: WireResponse | None = None

    @property
    def response(self) -> WireResponse:
        """The open response."""
        if self._response is None:
            raise RuntimeError("no response is open")
        return self._response

    async def open(self, headers: Mapping[str, str]) -> BodyInfo:
        """Open a request with ``headers`` (closing the previous one); what it announces."""
        await self.close()
        manager = self.open_stream({**IDENTITY, **headers}, self.span)
        response = await manager.__aenter__()
        self._opened, self._response = manager, response
        answer = judge_answer(response.status_code, response.headers)
        if isinstance(answer, BodyInfo):
            return answer
        raise InvalidResponseError(
            answer, status_code=response.status_code, method="GET", path=path_of(response.url)
        )

    async def open_whole(self, attempts: int) -> BodyInfo:
        """Open a request without ``Range`` whose answer carries the whole file.

        A 206 with only a part of it is a broken answer: asked again, up to ``attempts``
        requests in all, then ``InvalidResponseError``.
        """
        for _attempt in range(attempts):
            info = await self.open({})
            if covers_whole_file(info):
                return info
        path = path_of(self.response.url)
        await self.close()
        raise InvalidResponseError(
            f"the server answered a download that asked for the whole file with only a part "
            f"of it ({describe_range(info)}), {attempts} times; nothing was written. A proxy or "
            "cache in the way may be replaying a ranged answer",
            status_code=206,
            method="GET",
            path=path,
        )

    async def close(self) -> None:
        """Close the open response, if any (WireResponse.aclose is shielded)."""
        manager, self._opened, self._response = self._opened, None, None
        if manager is not None:
            await manager.__aexit__(None, None, None)  # type: ignore[attr-defined]


def judge_answer(status_code: int, headers: Mapping[str, str]) -> BodyInfo | str:
    """What an answer to a download's request announces, or why it is not the file (pure).

    Refused: a status other than 200 or 206, a framing header repeated with different values
    (the two transports would read it differently), an HTML page, a size beyond any file.
    """
    if status_code not in (200, 206):
        return "expected the file (200 or 206)"
    repeated = repeated_framing_headers(headers)
    name = conflicting_framing_header(repeated) if repeated else None
    if name is not None:
        return (
            f"the server sent {name} more than once with different values, which HTTP clients "
            "read differently; the answer was refused and nothing was written. Ask the "
            "server's operator (or the proxy's) to send each framing header once"
        )
    if headers.get("content-type", "").lower().startswith("text/html"):
        # No result, report or source file is HTML: a proxy's or portal's page is.
        return (
            "the server answered the download with an HTML page, not the file: a proxy, "
            "captive portal or sign-in page is likely in the way (or base_url is wrong); "
            "nothing was written"
        )
    try:
        return describe_response(status_code, headers)
    except AbsurdSize as absurd:
        return (
            f"the server announced a file larger than {MAX_ANNOUNCED_SIZE} bytes in "
            f"{absurd.header}; no file is that large, so the answer was refused and nothing "
            "was written"
        )


def path_of(url: str) -> str:
    return httpx.URL(url).path  # for messages only: never the query string (file names)
