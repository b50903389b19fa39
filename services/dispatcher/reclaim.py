"""Reclaim entries a dead (or failing) dispatcher left pending.

FastStream's stream subscriber reads only new entries (``>``) and a failed handler
leaves its entry pending, so entries idle longer than ``RECLAIM_IDLE`` are claimed with
XAUTOCLAIM and handled again. An entry delivered more than ``MAX_DELIVERIES`` times
goes to the dead-letter stream instead of looping. The same loop trims the request
stream by age without touching entries the group has not finished.
"""

from typing import Any

import redis.asyncio as aioredis

from services.dispatcher.dispatch import Dispatcher, Entry
from services.dispatcher.metrics import DEAD_LETTERED, RECLAIMED
from services.dispatcher.periodic import every
from services.dispatcher.settings import DispatcherSettings
from shared.dead_letters import dead_letter
from shared.envelope import decode_entry
from shared.logging import get_logger
from shared.streams import TRIM_LUA, age_cutoff_id

log = get_logger(__name__)


class Reclaimer:
    def __init__(
        self, settings: DispatcherSettings, client: aioredis.Redis, dispatcher: Dispatcher
    ) -> None:
        """``client`` must not decode responses (entries may be binary)."""
        self._s = settings
        self._redis = client
        self._dispatcher = dispatcher
        self._trim = client.register_script(TRIM_LUA)
        self.reclaimed = 0
        self.dead_lettered = 0

    async def run(self) -> None:
        await every(self._s.reclaim_interval, self._pass, "reclaim_failed")

    async def _pass(self) -> None:
        await self.reclaim_once()
        await self.trim_once()

    async def trim_once(self) -> int:
        cutoff = age_cutoff_id(self._s.stream_retention_seconds)
        trimmed: int = await self._trim(keys=[self._s.stream_requested], args=[cutoff])
        return trimmed

    async def reclaim_once(self) -> int:
        """Claim and handle every entry idle past the threshold; return how many."""
        handled = 0
        start = "0-0"
        while True:
            claimed: Any = await self._redis.xautoclaim(
                self._s.stream_requested,
                self._s.consumer_group,
                self._s.consumer_name,
                min_idle_time=int(self._s.reclaim_idle * 1000),
                start_id=start,
                count=100,
            )
            start_next, entries = claimed[0], claimed[1]
            if entries:
                handled += await self._handle(entries)
            start = start_next.decode() if isinstance(start_next, bytes) else start_next
            if start == "0-0" or not entries:
                return handled

    async def _handle(self, entries: list[tuple[bytes, dict[bytes, bytes] | None]]) -> int:
        ids = [entry_id for entry_id, _ in entries]
        pending: Any = await self._redis.xpending_range(
            self._s.stream_requested,
            self._s.consumer_group,
            min=ids[0],
            max=ids[-1],
            count=len(ids) * 2,
        )
        deliveries = {p["message_id"]: int(p["times_delivered"]) for p in pending}
        handled = 0
        for raw_id, fields in entries:
            entry_id = raw_id.decode()
            if fields:
                times = deliveries.get(raw_id, 1)
                if times > self._s.max_deliveries:
                    await self._give_up(entry_id, fields, times)
                else:
                    try:
                        await self._dispatcher.handle(Entry(entry_id, *decode_entry(fields)))
                    except Exception as exc:
                        log.warning("reclaimed_entry_failed", entry_id=entry_id, error=str(exc))
                        continue
                    self.reclaimed += 1
                    RECLAIMED.inc()
                    log.info("entry_reclaimed", entry_id=entry_id, deliveries=times)
            await self._redis.xack(self._s.stream_requested, self._s.consumer_group, raw_id)
            handled += 1
        return handled

    async def _give_up(self, entry_id: str, fields: dict[bytes, bytes], times: int) -> None:
        entry = dead_letter(
            reason=f"delivered {times} times without being dispatched",
            payload=decode_entry(fields).body,
            source=self._s.stream_requested,
            source_id=entry_id,
            service="dispatcher",
            extra={"deliveries": times},
        )
        await self._redis.xadd(
            self._s.stream_requested_dlq,
            entry,  # type: ignore[arg-type]
            maxlen=self._s.stream_maxlen,
            approximate=True,
        )
        self.dead_lettered += 1
        DEAD_LETTERED.labels("max_deliveries").inc()
        log.error("entry_dead_lettered_after_deliveries", entry_id=entry_id, deliveries=times)
