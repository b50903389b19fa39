"""Refuse what the gateway cannot hold: oversized bodies (413) and a full backlog (503)."""

import time

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: 413 before parsing when a body exceeds ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (a GET): nothing to hold back
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # Read the body first (at most max_bytes of it), then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"request body too large (limit %d bytes)"}' % self.max_bytes
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class Backlog:
    """Requests not yet finished by the dispatchers (group lag + pending), cached briefly."""

    def __init__(self, client: aioredis.Redis, stream: str, group: str, ttl: float = 1.0) -> None:
        self._redis = client
        self._stream = stream
        self._group = group
        self._ttl = ttl
        self._value = 0
        self._at = 0.0

    async def size(self) -> int:
        if time.monotonic() - self._at > self._ttl:
            self._value = await self._measure()
            self._at = time.monotonic()
        return self._value

    async def _measure(self) -> int:
        try:
            groups = await self._redis.xinfo_groups(self._stream)
        except ResponseError:
            return 0  # no stream yet
        for group in groups:
            if group["name"] == self._group:
                lag = group.get("lag")
                if lag is None:
                    lag = await self._redis.xlen(self._stream)
                return int(lag) + int(group["pending"])
        length: int = await self._redis.xlen(self._stream)
        return length
