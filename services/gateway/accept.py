"""Accepting a request: record it as PENDING, publish ``summarization.requested``."""

from contracts.events import SummarizationRequested
from services.gateway.deps import Gateway
from shared.logging import get_logger
from shared.status_view import record_pending

log = get_logger(__name__)


async def accept(gateway: Gateway, event: SummarizationRequested) -> None:
    """Return only once the event is on the stream (the 202 promises it)."""
    settings = gateway.settings
    await record_pending(
        gateway.redis, settings.status_key_prefix, settings.status_ttl_seconds, event
    )
    await gateway.broker.publish(
        event.model_dump(mode="json", exclude_none=True),
        stream=settings.stream_requested,
        maxlen=settings.stream_maxlen,
        correlation_id=event.task_id,
        headers={"message_id": event.event_id},
    )
    log.info("request_accepted", task_id=event.task_id, kind=event.kind.value)
