"""The dispatcher's composition root: a FastStream subscriber in a consumer group.

The subscriber reads ``summarization.requested`` with XREADGROUP, up to
``DISPATCH_BATCH_SIZE`` entries at a time; ``Dispatcher.handle_batch`` XACKs a batch
itself (FastStream's acknowledgement is off), in the round trip of its dispatch marks,
once every task was sent, skipped as already sent, or its entry went to the dead-letter
stream; a batch that raises stays pending, for the reclaimer. A watchdog re-creates the
consumer group when Redis loses it (FastStream stops a subscriber on NOGROUP) and
restarts the subscriber.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
import structlog
from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from redis.exceptions import ResponseError

from services.dispatcher.dispatch import Dispatcher, Entry
from services.dispatcher.metrics import GROUPS_RECREATED
from services.dispatcher.reclaim import Reclaimer
from services.dispatcher.redispatch import Redispatcher
from services.dispatcher.sender import CelerySender
from services.dispatcher.settings import DispatcherSettings
from shared.adapters.faststream import (
    JSONMessageFormat,
    batch_entries,
    ensure_running,
    unparsed_batch,
)
from shared.celery_app import make_celery
from shared.envelope import decode_entry
from shared.logging import get_logger
from shared.ops_server import OpsServer, ops_server
from shared.redis_client import async_redis, broker_security, sync_redis
from shared.task_state import AsyncStateWriter, StateConfig
from shared.telemetry import configure_tracing

log = get_logger(__name__)


async def ensure_group(client: aioredis.Redis, stream: str, group: str) -> bool:
    """Create the group (reading from the stream's start) unless it exists; True if made."""
    try:
        await client.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" in str(exc):
            return False
        raise
    return True


async def raw_batch(msg: Any, _: Any) -> Any:
    """The handler's argument: the batch as read, (entry id, fields) pairs."""
    return batch_entries(msg)


class DispatcherService:
    def __init__(self, settings: DispatcherSettings) -> None:
        self.settings = settings
        self.redis = async_redis(settings.redis_url, settings.redis_tls)
        provider = configure_tracing("dispatcher")
        CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        self.broker = RedisBroker(
            settings.redis_url,
            security=broker_security(settings.redis_url, settings.redis_tls),
            message_format=JSONMessageFormat,
            logger=logging.getLogger("faststream"),
            log_level=logging.DEBUG,  # FastStream's per-batch "Received"/"Processed"
            graceful_timeout=30.0,
            # no dependency injection: the handler takes the raw batch (its one
            # Context field cost a thread-pool round trip per batch)
            apply_types=False,
        )
        self.dispatcher = Dispatcher(
            settings,
            self.redis,
            CelerySender(
                make_celery(settings, results=False, batch_sends=True),
                settings.queues,
            ),
            AsyncStateWriter(self.redis, StateConfig.of(settings)),
        )
        self.groups_recreated = 0
        self.group_recreated_at = ""
        self.raw_redis = async_redis(settings.redis_url, settings.redis_tls, decode=False)
        self.reclaimer = Reclaimer(settings, self.raw_redis, self.dispatcher)
        self.redispatcher = Redispatcher(settings, self.raw_redis, self.dispatcher)
        self.subscriber = self.broker.subscriber(
            stream=StreamSub(
                settings.stream_requested,
                group=settings.consumer_group,
                consumer=settings.consumer_name,
                polling_interval=1000,
                batch=True,
                max_records=settings.dispatch_batch_size,
            ),
            parser=unparsed_batch,
            decoder=raw_batch,
            ack_policy=AckPolicy.MANUAL,  # handle_batch acknowledges, with its marks
        )
        self.subscriber(self._handler())

    def _handler(self) -> Any:
        dispatcher = self.dispatcher

        async def on_requested(raw: Any) -> None:
            # Entries are decoded here, one at a time and the same way the reclaimer
            # does (FastStream's batch parser does not lift a plain entry's traceparent
            # field): an entry that cannot be read is dead-lettered on its own.
            entries = [Entry(entry_id.decode(), *decode_entry(fields)) for entry_id, fields in raw]
            structlog.contextvars.clear_contextvars()
            await dispatcher.handle_batch(entries, ack=True)

        return on_requested

    async def start(self) -> None:
        await ensure_group(self.redis, self.settings.stream_requested, self.settings.consumer_group)
        await self.broker.start()
        log.info(
            "dispatcher_started",
            stream=self.settings.stream_requested,
            group=self.settings.consumer_group,
            consumer=self.settings.consumer_name,
        )

    async def watch_group(self) -> None:
        """Keep the consumer group and the subscriber alive across Redis data loss."""
        while True:
            await asyncio.sleep(self.settings.group_check_interval)
            try:
                made = await ensure_group(
                    self.redis, self.settings.stream_requested, self.settings.consumer_group
                )
                if made:
                    self.groups_recreated += 1
                    GROUPS_RECREATED.inc()
                    self.group_recreated_at = datetime.now(UTC).isoformat()
                    log.error("consumer_group_recreated", group=self.settings.consumer_group)
                if await ensure_running(self.subscriber):
                    log.warning("subscriber_restarted")
            except Exception as exc:
                log.warning("group_check_failed", error=str(exc))

    def ops(self) -> OpsServer:
        """/healthz, /readyz (Redis answers, the group exists), /metrics."""
        client = sync_redis(self.settings.redis_url, self.settings.redis_tls)
        stream, group = self.settings.stream_requested, self.settings.consumer_group

        def group_exists() -> None:
            names = [g["name"] for g in client.xinfo_groups(stream)]
            if group not in names:
                raise LookupError(f"consumer group {group} missing on {stream}")

        def info() -> dict[str, object]:
            return {
                "service": "dispatcher",
                "redis_data_loss_detected": self.groups_recreated > 0,
                "groups_recreated": self.groups_recreated,
                "group_recreated_at": self.group_recreated_at or None,
                "reclaimed": self.reclaimer.reclaimed,
                "dead_lettered_after_deliveries": self.reclaimer.dead_lettered,
                "redispatched": self.redispatcher.redispatched,
            }

        return ops_server(
            "dispatcher",
            self.settings,
            {"redis": client.ping, "consumer_group": group_exists},
            info,
        )

    async def stop(self) -> None:
        await self.broker.stop()
        await self.redis.aclose()
        await self.raw_redis.aclose()
        log.info("dispatcher_stopped")
