"""The status-changes stream, followed live for the gateway's status event streams.

Every applied transition appends one entry to the status-changes stream. While any client
follows a task, one reader per gateway process reads that stream (XREAD BLOCK) and hands
each entry to the subscribers of its task: N open event streams cost one blocking read,
not N. The reader stops when the last subscriber leaves.

A subscriber is registered before it reads the task's record, and the reader starts from
the stream's last id before any subscriber reads one; so every entry after a subscriber's
snapshot of the record reaches it (some before it, which it skips by id).
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from shared.logging import get_logger

log = get_logger(__name__)

StreamId = tuple[int, int]
START: StreamId = (0, 0)


def parse_id(value: str | None) -> StreamId | None:
    """A stream entry id (``<ms>-<seq>``) as a comparable pair; ``None`` if it is none."""
    ms, _, seq = (value or "").strip().partition("-")
    if not (ms.isdigit() and seq.isdigit()):
        return None
    return int(ms), int(seq)


def format_id(value: StreamId) -> str:
    return f"{value[0]}-{value[1]}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the status-changes stream."""

    id: StreamId
    fields: dict[str, str]

    @property
    def task_id(self) -> str:
        return self.fields.get("task_id", "")


async def last_id(client: aioredis.Redis, stream: str) -> StreamId:
    """The stream's last id (``0-0`` when it does not exist)."""
    try:
        info = await client.xinfo_stream(stream)
    except ResponseError:
        return START
    return parse_id(info.get("last-generated-id")) or START


class TooManyStreams(Exception):
    """This process already serves its most event streams."""


class Subscription:
    """The entries of one task's changes, as the reader hands them over."""

    def __init__(self, feed: "StatusFeed", task_id: str) -> None:
        self.task_id = task_id
        self.entries: asyncio.Queue[Entry | None] = asyncio.Queue()
        self._feed = feed

    async def next(self, deadline: float) -> Entry | None:
        """The next entry; ``None`` once the loop's clock reaches ``deadline``, or after
        ``end``."""
        try:
            async with asyncio.timeout_at(deadline):
                return await self.entries.get()
        except TimeoutError:
            return None

    def end(self) -> None:
        """Make ``next`` answer ``None`` once the entries before are taken."""
        self.entries.put_nowait(None)

    def close(self) -> None:
        """Stop receiving entries (again: nothing)."""
        self._feed.remove(self)


class StatusFeed:
    def __init__(self, client: aioredis.Redis, stream: str, max_streams: int) -> None:
        self._redis = client
        self._stream = stream
        self._max = max_streams
        # a blocking read must answer within the client's socket timeout (redis-py's
        # default is 5 s), else it fails, is retried and the reader reconnects in a loop
        timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
        self._block_ms = int(1000 * min(1.0, timeout / 2 if timeout else 1.0))
        self._subscribers: dict[str, set[Subscription]] = {}
        self._count = 0
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def open(self) -> int:
        """Subscriptions open in this process."""
        return self._count

    async def subscribe(self, task_id: str) -> Subscription:
        """Entries of ``task_id`` from now on; ``TooManyStreams`` past the bound."""
        if self._count >= self._max:
            raise TooManyStreams
        async with self._lock:
            if self._reader is None or self._reader.done():
                cursor = await last_id(self._redis, self._stream)
                self._reader = asyncio.create_task(self._read(cursor), name="status-feed")
            if self._count >= self._max:
                raise TooManyStreams
            subscription = Subscription(self, task_id)
            self._subscribers.setdefault(task_id, set()).add(subscription)
            self._count += 1
        return subscription

    def remove(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.task_id)
        if subscribers is None or subscription not in subscribers:
            return
        subscribers.discard(subscription)
        self._count -= 1
        if not subscribers:
            del self._subscribers[subscription.task_id]

    async def close(self) -> None:
        self._closed = True  # a cancel that Python 3.11's wait_for swallows still ends it
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self, cursor: StreamId) -> None:
        delay = 0.1
        while self._subscribers and not self._closed:
            try:
                reply: Any = await self._redis.xread(
                    {self._stream: format_id(cursor)}, count=1000, block=self._block_ms
                )
            except RedisError as exc:
                log.warning("status_feed_read_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.1
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    entry = Entry(parse_id(entry_id) or cursor, fields)
                    cursor = entry.id
                    for subscription in self._subscribers.get(entry.task_id, ()):
                        subscription.entries.put_nowait(entry)
