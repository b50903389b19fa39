"""The gateway's one reader of the status-changes stream, in-process on a real Redis."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from structlog.testing import capture_logs

from services.gateway import status_feed
from services.gateway.status_feed import StatusFeed


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client whose reads time out sooner than redis-py's default (5 s), not retried."""
    c = aioredis.Redis.from_url(
        redis_url, decode_responses=True, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    yield c
    await c.aclose()


async def test_an_idle_feed_keeps_its_blocking_read_within_the_socket_timeout(
    client: aioredis.Redis, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Followed tasks may not change for minutes: the reader's XREAD BLOCK must come back
    before the client's socket timeout, or every read fails and reconnects."""
    stream = f"{namespace}.status-changes"
    feed = StatusFeed(client, stream, max_streams=10)
    with capture_logs() as logs:
        monkeypatch.setattr(status_feed, "log", structlog.get_logger(status_feed.__name__))
        subscription = await feed.subscribe("t1")
        await asyncio.sleep(1.5)  # idle: three socket timeouts
        await client.xadd(stream, {"task_id": "t2", "status": "STARTED"})
        await client.xadd(stream, {"task_id": "t1", "status": "STARTED"})
        loop = asyncio.get_running_loop()
        entry = await subscription.next(loop.time() + 5)
        subscription.close()
        await feed.close()
    await client.delete(stream)
    assert entry is not None
    assert entry.fields == {"task_id": "t1", "status": "STARTED"}, "only its task's entries"
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == []
