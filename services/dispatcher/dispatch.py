"""The dispatcher's decision for one stream entry: dead-letter it, skip it, or send it."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from contracts.events import SummarizationRequested
from services.dispatcher.metrics import DEAD_LETTERED, DISPATCHED, DUPLICATES
from services.dispatcher.parsing import InvalidEvent, parse_request
from services.dispatcher.settings import DispatcherSettings
from shared import keys
from shared.dead_letters import dead_letter
from shared.logging import get_logger
from shared.status_view import PendingRecords

log = get_logger(__name__)


class Sender(Protocol):
    async def send(self, event: SummarizationRequested) -> None: ...


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


@dataclass
class Dispatcher:
    settings: DispatcherSettings
    redis: aioredis.Redis
    sender: Sender
    pending: PendingRecords

    async def handle(self, body: Any, headers: Mapping[str, str], entry_id: str) -> Outcome:
        """Process one entry. Raises only when the entry must stay pending (retry later)."""
        size = len(body) if isinstance(body, bytes | str) else len(orjson.dumps(body))
        try:
            event = parse_request(body, size, self.settings.max_event_bytes)
        except InvalidEvent as exc:
            await self._dead_letter(exc, body, entry_id)
            DEAD_LETTERED.labels("invalid").inc()
            return Outcome.DEAD_LETTERED
        if await self.pending.record(event, unless_sent=True) < 0:
            log.info("duplicate_request_skipped", task_id=event.task_id, entry_id=entry_id)
            DUPLICATES.inc()
            return Outcome.DUPLICATE
        await self.sender.send(event)
        dedupe_key = keys.dispatched(self.settings.key_prefix, event.task_id)
        await self.redis.set(dedupe_key, entry_id, ex=self.settings.dedupe_ttl_seconds)
        log.info("task_sent", task_id=event.task_id, kind=event.kind.value, entry_id=entry_id)
        DISPATCHED.labels(event.kind.value).inc()
        return Outcome.SENT

    async def _dead_letter(self, exc: InvalidEvent, body: Any, entry_id: str) -> None:
        fields = dead_letter(
            reason=exc.reason,
            errors=exc.errors,
            payload=body,
            source=self.settings.stream_requested,
            source_id=entry_id,
            service="dispatcher",
        )
        await self.redis.xadd(
            self.settings.stream_requested_dlq,
            fields,  # type: ignore[arg-type]
            maxlen=self.settings.stream_maxlen,
            approximate=True,
        )
        log.warning("event_dead_lettered", reason=exc.reason, entry_id=entry_id)
