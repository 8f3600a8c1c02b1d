"""A lean HTTP/1.1 client for the survey benchmark: keep-alive connections over asyncio streams, one request each at
a time, the request written as bytes and the answer read up to its Content-Length.

The load generator runs on the same two cores as the service it measures; httpx spent about as much CPU per request
as the service itself (~2-3 ms), which would have measured the client. This spends a tenth of that. It speaks only
what the benchmark needs: a POST of a urlencoded form to uvicorn, and a status code back.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

# uvicorn closes a connection idle for 5 s (--timeout-keep-alive); one idle this long is not used again.
STALE_SECONDS = 4.0


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]  # and when it was last used


class LeanHttp:
    def __init__(self, host: str, port: int, connections: int) -> None:
        self._host, self._port, self._size = host, port, connections
        self._idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
        self._open = 0
        self._all: list[asyncio.StreamWriter] = []

    async def _take(self, *, fresh: bool = False) -> Connection:
        while not fresh and (not self._idle.empty() or self._open >= self._size):
            reader, writer, used = await self._idle.get()
            if time.monotonic() - used < STALE_SECONDS:
                return reader, writer, used
            self._drop(writer)
        self._open += 1
        try:
            reader, writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            self._open -= 1
            raise
        self._all.append(writer)
        return reader, writer, time.monotonic()

    async def prime(self) -> None:
        """Open every connection now, one after another, so that the timed part never waits on a handshake (nor
        overflows the server's accept queue with a burst of them)."""
        opened = [await self._take(fresh=True) for _ in range(self._size)]
        for pair in opened:
            self._idle.put_nowait(pair)

    async def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str]) -> int:
        """POST `fields` to `path`; the status code (the body is read and dropped)."""
        body = urlencode(fields).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            reader, writer, _ = await self._take(fresh=attempt == 2)
            try:
                writer.write(request)
                first = await reader.readline()
                if not first and attempt == 1:
                    # Closed by the server as we wrote (its keep-alive timeout): the request was not read, so it
                    # goes again, once, on a new connection.
                    self._drop(writer)
                    continue
                if len(first.split()) < 2:
                    raise ValueError(f"not a status line: {first!r} (attempt {attempt})")
                status = int(first.split()[1])
                length, close = 0, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    key = name.strip().lower()
                    if key == b"content-length":
                        length = int(value)
                    elif key == b"connection" and value.strip().lower() == b"close":
                        close = True
                if length:
                    await reader.readexactly(length)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                self._drop(writer)
                raise
            if close:
                self._drop(writer)
            else:
                self._idle.put_nowait((reader, writer, time.monotonic()))
            return status
        raise ConnectionError(f"POST {path}: the connection closed before an answer, twice")

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._open -= 1
        writer.close()

    async def close(self) -> None:
        for writer in self._all:
            writer.close()
        self._all.clear()
