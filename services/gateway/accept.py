"""Accepting a request: record it as PENDING, publish ``summarization.requested``.

With an ``Idempotency-Key`` a repeat returns the first request's task id; without
capacity (the dispatchers' backlog is over ``MAX_BACKLOG``) nothing new is accepted.
"""

import time
from uuid import uuid4

import orjson
import structlog

from contracts.events import SummarizationRequested
from services.gateway.deps import Gateway
from services.gateway.idempotency import body_hash
from shared import keys
from shared.logging import get_logger
from shared.status_view import read_record
from shared.task_state import TransitionName
from shared.task_state import accept as accept_request
from shared.telemetry import current_traceparent

log = get_logger(__name__)

LOST_AFTER_SECONDS = 10.0
"""A keyed request still undispatched this long after its claim is published again."""


class Overloaded(Exception):
    pass


class CandidateBusy(Exception):
    """Every slot of the candidate holds an unfinished task."""


async def submit(
    gateway: Gateway,
    fields: dict[str, object],
    idempotency_key: str | None,
    caller: str,
    route: str,
) -> str:
    """Accept a request of tenant ``caller`` (or find the one this key already accepted);
    its task id."""
    digest = body_hash(route, orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))
    if idempotency_key:
        found = await gateway.idempotency.existing(caller, idempotency_key, digest)
        if found is not None:
            await _republish_if_lost(
                gateway, fields, idempotency_key, found.task_id, found.claimed_at
            )
            return found.task_id
    if await gateway.backlog.size() >= gateway.settings.max_backlog:
        raise Overloaded
    task_id = str(uuid4())
    if idempotency_key:
        claim = await gateway.idempotency.claim(caller, idempotency_key, digest, task_id)
        if not claim.new:
            return claim.task_id
    event = SummarizationRequested.model_validate(
        {**fields, "task_id": task_id, "idempotency_key": idempotency_key}
    )
    try:
        await _accept_in_a_slot(gateway, event, caller)
    except BaseException:
        if idempotency_key:
            await gateway.idempotency.release(caller, idempotency_key)
        raise
    return task_id


async def _accept_in_a_slot(gateway: Gateway, event: SummarizationRequested, tenant: str) -> None:
    """Accept ``event`` in one of its candidate's slots, or raise ``CandidateBusy``."""
    if not await gateway.slots.take(tenant, event.candidate_id, event.task_id):
        raise CandidateBusy
    try:
        await accept(gateway, event)
    except BaseException:
        await gateway.slots.release(tenant, event.candidate_id, event.task_id)
        raise


async def accept(gateway: Gateway, event: SummarizationRequested) -> None:
    """Return only once the event is on the stream (the 202 promises it)."""
    settings = gateway.settings
    async with gateway.redis.pipeline(transaction=False) as pipe:
        # the PENDING record, then the event: one round trip
        recording = accept_request(event, current_traceparent().get("traceparent", ""))
        gateway.state.queue(pipe, recording)
        await gateway.broker.publish(
            event.model_dump(mode="json", exclude_none=True),
            stream=settings.stream_requested,
            correlation_id=event.task_id,
            headers={"message_id": event.event_id},
            pipeline=pipe,
        )
        recorded, published = await pipe.execute(raise_on_error=False)
    if isinstance(published, Exception):
        raise published
    if isinstance(recorded, Exception):
        # e.g. NOSCRIPT on a new Redis: write it now (the dispatcher would create it
        # too, whichever comes first; the other changes nothing)
        await gateway.state.apply(recording)
    # the request's later lines (uvicorn's access line) name the task too
    structlog.contextvars.bind_contextvars(task_id=event.task_id)
    log.info("request_accepted", kind=event.kind.value)


async def _republish_if_lost(
    gateway: Gateway, fields: dict[str, object], key: str, task_id: str, claimed_at: float
) -> None:
    """Cover a gateway that died between claiming a key and publishing its event."""
    if time.time() - claimed_at < LOST_AFTER_SECONDS:
        return
    prefix = gateway.settings.key_prefix
    record = await read_record(gateway.redis, prefix, task_id)
    if record is not None and record.get("transition") != TransitionName.ACCEPT:
        return
    if await gateway.redis.exists(keys.dispatched(prefix, task_id)):
        return
    log.warning("keyed_request_republished", task_id=task_id)
    event = SummarizationRequested.model_validate(
        {**fields, "task_id": task_id, "idempotency_key": key}
    )
    await accept(gateway, event)
