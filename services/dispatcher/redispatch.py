"""Send again what the broker lost: tasks dispatched long ago that no worker ever started.

kombu's Redis transport takes a message off its queue (BRPOP) before it records it as
unacknowledged; if Redis goes away between the two, or the reply never reaches the
worker, no copy is left anywhere and the task would stay PENDING for good. Every
``REDISPATCH_INTERVAL`` seconds, tasks still PENDING ``REDISPATCH_AFTER`` seconds after
they were sent are sent again from their original request entry, with the same task id.
A task that was only slow to start (a queue longer than ``REDISPATCH_AFTER``) then runs
twice; tasks are idempotent per task id, and its completion event is published once.
"""

import time
from typing import Any

import redis.asyncio as aioredis

from services.dispatcher.dispatch import Dispatcher, Entry
from services.dispatcher.metrics import REDISPATCHED
from services.dispatcher.periodic import every
from services.dispatcher.settings import DispatcherSettings
from shared import keys
from shared.envelope import decode_entry
from shared.logging import get_logger

log = get_logger(__name__)


class Redispatcher:
    def __init__(
        self, settings: DispatcherSettings, client: aioredis.Redis, dispatcher: Dispatcher
    ) -> None:
        """``client`` must not decode responses (entries may be binary)."""
        self._s = settings
        self._redis = client
        self._dispatcher = dispatcher
        self.redispatched = 0

    async def run(self) -> None:
        await every(self._s.redispatch_interval, self.redispatch_once, "redispatch_failed")

    async def redispatch_once(self, limit: int = 500) -> int:
        """One pass over tasks created before the threshold; how many were sent again."""
        prefix, now = self._s.key_prefix, time.time()
        stale: Any = await self._redis.zrangebyscore(
            keys.active(prefix), 0, now - self._s.redispatch_after, start=0, num=limit
        )
        sent = 0
        for raw_id in stale:
            task_id = raw_id.decode()
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(keys.status(prefix, task_id), "status")
            pipe.get(keys.dispatched(prefix, task_id))
            pipe.pttl(keys.dispatched(prefix, task_id))
            status, entry_id, ttl_ms = await pipe.execute()
            if status != b"PENDING" or entry_id is None:
                continue  # started or finished; or not dispatched yet (the reclaimer's)
            sent_at = now - (self._s.dedupe_ttl_seconds - max(ttl_ms, 0) / 1000)
            if now - sent_at < self._s.redispatch_after:
                continue
            if await self._send_again(task_id, entry_id.decode()):
                sent += 1
        self.redispatched += sent
        return sent

    async def _send_again(self, task_id: str, entry_id: str) -> bool:
        entries: Any = await self._redis.xrange(
            self._s.stream_requested, min=entry_id, max=entry_id
        )
        if not entries:
            log.error("redispatch_source_gone", task_id=task_id, entry_id=entry_id)
            return False
        entry = Entry(entry_id, *decode_entry(entries[0][1]))
        # forget the earlier send, so the dispatcher's duplicate check lets this one through
        await self._redis.delete(keys.dispatched(self._s.key_prefix, task_id))
        await self._dispatcher.handle(entry)
        REDISPATCHED.inc()
        log.warning("task_redispatched", task_id=task_id, entry_id=entry_id)
        return True
