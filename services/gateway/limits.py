"""Refuse what the gateway cannot hold: too many or too large headers (431), oversized
bodies (413), a candidate with all its slots taken (429) and a full backlog (503)."""

import time
from importlib import resources

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import keys

SLOT_LUA = resources.files("shared").joinpath("lua/candidate_slot.lua").read_text()
UNRECORDED_SLOT_SECONDS = 60
"""A slot whose task never got a status record (its gateway died) is freed after this."""


class HeaderLimits:
    """ASGI middleware: 431 for more than ``max_count`` headers or ``max_bytes`` of them
    (names and values), before anything else reads them."""

    def __init__(self, app: ASGIApp, max_count: int, max_bytes: int) -> None:
        self.app = app
        self.max_count = max_count
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > self.max_count or size > self.max_bytes:
                body = b'{"detail":"request headers too large (limits: %d headers, %d bytes)"}' % (
                    self.max_count,
                    self.max_bytes,
                )
                await _refuse(send, 431, body)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
        await _refuse(send, 413, body)


class CandidateSlots:
    """At most ``slots`` unfinished tasks per candidate (of a tenant): LLM work is
    expensive, and one caller must not fill the workers with one candidate. One script
    call per new task; ``slots`` 0 is no limit (and no round trip)."""

    def __init__(self, client: aioredis.Redis, prefix: str, slots: int, max_age: int) -> None:
        self._redis = client
        self._prefix = prefix
        self.slots = slots
        self._max_age = max_age
        self._script = client.register_script(SLOT_LUA)

    async def take(self, tenant: str, candidate_id: str, task_id: str) -> bool:
        if self.slots <= 0:
            return True
        taken = await self._script(
            keys=[keys.running(self._prefix, tenant, candidate_id)],
            args=[
                self.slots,
                task_id,
                keys.status(self._prefix, ""),
                self._max_age,
                UNRECORDED_SLOT_SECONDS,
            ],
        )
        return bool(taken)

    async def release(self, tenant: str, candidate_id: str, task_id: str) -> None:
        """Give back the slot of a task that was not accepted after all."""
        if self.slots > 0:
            await self._redis.zrem(keys.running(self._prefix, tenant, candidate_id), task_id)


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
