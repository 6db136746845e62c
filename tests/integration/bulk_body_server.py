"""A server of large bodies for memory tests, run in its own process (``python FILE SIZE``).

Its own allocations must not count in the client's traced memory, so it is not a thread of
the test's process. Every GET of ``.../results/{order_id}/download`` gets ``SIZE`` bytes of a
1 MiB pattern, named ``{order_id}.bin``; connections are kept alive. It prints its port, then
serves until it is terminated.
"""

from __future__ import annotations

import asyncio
import sys

PATTERN = bytes(range(256)) * 4096


async def answer(size: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("ascii")
            name = path.split("?")[0].rstrip("/").split("/")[-2]
            writer.write(
                (
                    "HTTP/1.1 200 OK\r\n"
                    f"Content-Length: {size}\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    f'Content-Disposition: attachment; filename="{name}.bin"\r\n\r\n'
                ).encode("ascii")
            )
            left = size
            while left:
                piece = PATTERN[: min(left, len(PATTERN))]
                writer.write(piece)
                left -= len(piece)
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(size: int) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: answer(size, reader, writer), "127.0.0.1", 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
