"""A lean HTTP/1.1 keep-alive client for load generation.

httpx spends about a millisecond of CPU per request; on a 2-core machine that shares its
cores with the system under test, the load generator would be what is measured. This
client writes the request bytes and reads the answer on a persistent connection, nothing
else (no redirects, no chunked bodies: uvicorn answers with Content-Length).
"""

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    body: bytes


class Connection:
    def __init__(self, url: str, api_key: str = "") -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._auth = f"Authorization: Bearer {api_key}\r\n" if api_key else ""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> Answer:
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n{self._auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return Answer(status, await self._reader.readexactly(length) if length else b"")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
