"""Live task status: ``GET /summarization/task-status/{task_id}/events``, Server-Sent Events.

The first event is the task's status, as GET task-status answers it; then one event per
change of the task, read from the status-changes stream, until the task finishes. Each
event's id is a position in that stream, so a client that reconnects with
``Last-Event-ID`` gets the changes since then replayed from it (or, when they were
trimmed away, the status again first).
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import Response
from redis.exceptions import ResponseError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from contracts.api import TaskStatusChange, TaskStatusResponse
from contracts.status import TaskStatus
from services.gateway.auth import AUTH_RESPONSES, Reader
from services.gateway.deps import Gateway, GatewayDep
from services.gateway.status_feed import (
    START,
    Entry,
    StreamId,
    Subscription,
    TooManyStreams,
    format_id,
    parse_id,
)
from services.gateway.undispatched import visible_record
from shared import keys
from shared.status_view import read_record, to_response

router = APIRouter(prefix="/summarization", tags=["summarization"], responses=AUTH_RESPONSES)

PAGE = 1000
"""Entries one XRANGE of a replay reads."""
SHUTDOWN_GRACE_SECONDS = 2.0
"""How long a stream has to end by itself once the server stops, before it is cut."""

EXAMPLE = (
    'event: status\nid: 1764460800000-0\ndata: {"task_id": "3f0c…", "status": "PENDING", …}\n\n'
    'event: change\nid: 1764460800120-3\ndata: {"task_id": "3f0c…", "transition": "start",'
    ' "status": "STARTED", "ts": 1764460800.118, "attempt": 1}\n\n'
    ": keep-alive\n\n"
    'event: status\nid: 1764460801730-1\ndata: {"task_id": "3f0c…", "status": "SUCCESS",'
    ' "summary": {…}, …}\n\n'
)

EVENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`: a `status` event (the body of GET task-status),"
        " then a `change` event (TaskStatusChange) per change of the task, and a last `status`"
        " event once it is SUCCESS, FAILURE or REVOKED; then the stream ends. Keep-alive"
        " comments every SSE_KEEPALIVE_SECONDS; the stream also ends after SSE_MAX_SECONDS"
        " (reconnect with Last-Event-ID).",
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": EXAMPLE}},
    },
    204: {"description": "Last-Event-ID was the task's last event: nothing more will come"},
    404: {"model": TaskStatusResponse, "description": "Unknown or expired task id"},
    503: {
        "description": "SSE_MAX_STREAMS event streams open in this gateway process, or the"
        " key store unavailable; retry after Retry-After seconds"
    },
}

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        description="Resume after this event (its `id`): the changes since are replayed.",
    ),
]


@router.get(
    "/task-status/{task_id}/events",
    response_class=EventSourceResponse,
    responses=EVENT_RESPONSES,
)
async def task_status_events(
    task_id: str, gateway: GatewayDep, caller: Reader, last_event_id: LastEventId = None
) -> Response:
    """Follow a task's status live (Server-Sent Events) until it finishes; the same
    answers as GET task-status for an unknown id or another tenant's task (404)."""
    try:
        subscription = await gateway.feed.subscribe(task_id)
    except TooManyStreams:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "too many open event streams; retry later",
            headers={"Retry-After": str(gateway.settings.retry_after_seconds)},
        ) from None
    try:
        response = await _open(gateway, subscription, caller.tenant, last_event_id)
    except BaseException:
        subscription.close()
        raise
    if not isinstance(response, EventSourceResponse):
        subscription.close()
    return response


@dataclass
class _Start:
    events: list[ServerSentEvent]
    finished: bool
    position: StreamId
    """The stream's last id when the record was read: later entries are news."""


async def _open(
    gateway: Gateway, subscription: Subscription, tenant: str, last_event_id: str | None
) -> Response:
    task_id = subscription.task_id
    stored, info = await _snapshot(gateway, task_id)
    record = await visible_record(gateway.undispatched, task_id, stored, tenant)
    if record is None:
        body = to_response(task_id, None).model_dump_json()
        return Response(body, status_code=404, media_type="application/json")
    position = (parse_id(info["last-generated-id"]) if info else None) or START
    after = _resume_point(last_event_id, info, position)
    if after is None:
        current = _status_event(task_id, record, position)
        start = _Start([current], _status(record).is_terminal, position)
    else:
        start = await _replay(gateway, task_id, record, after, position)
        if not start.events and _status(record).is_terminal:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
    shutdown = anyio.Event()

    async def end_at_shutdown() -> None:
        await shutdown.wait()
        subscription.end()

    return EventSourceResponse(
        _events(gateway, subscription, start),
        ping=gateway.settings.sse_keepalive_seconds,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
        # the server stopping ends the stream cleanly: the client resumes elsewhere
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
        data_sender_callable=end_at_shutdown,
        background=BackgroundTask(subscription.close),
    )


async def _events(
    gateway: Gateway, subscription: Subscription, start: _Start
) -> AsyncIterator[ServerSentEvent]:
    try:
        for event in start.events:
            yield event
        if start.finished:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + gateway.settings.sse_max_seconds
        while (entry := await subscription.next(deadline)) is not None:
            if entry.id <= start.position:
                continue  # already in the status or the replay
            if not _is_terminal(entry):
                yield _change_event(entry)
                continue
            prefix = gateway.settings.key_prefix
            yield _final_event(entry, await read_record(gateway.redis, prefix, entry.task_id))
            return
    finally:
        subscription.close()


async def _snapshot(
    gateway: Gateway, task_id: str
) -> tuple[dict[str, str] | None, dict[str, Any] | None]:
    """The task's record and the status-changes stream's state, read together: the
    record holds every change up to the stream's last id, and none after it."""
    async with gateway.redis.pipeline(transaction=True) as pipe:
        pipe.hgetall(keys.status(gateway.settings.key_prefix, task_id))
        pipe.xinfo_stream(gateway.settings.stream_status_changes)
        record, info = await pipe.execute(raise_on_error=False)
    if isinstance(record, Exception):
        raise record
    return record or None, None if isinstance(info, ResponseError) else info  # no stream yet


def _resume_point(
    last_event_id: str | None, info: Mapping[str, Any] | None, position: StreamId
) -> StreamId | None:
    """Where to replay from: ``Last-Event-ID`` if every entry after it is still in the
    stream; ``None`` (send the status first) if it is absent, not an id of this stream,
    or older than the oldest entry kept."""
    after = parse_id(last_event_id)
    if after is None or info is None or after > position:
        return None
    first = info.get("first-entry")
    oldest = parse_id(first[0]) if first else None
    return after if oldest is not None and oldest <= after else None


async def _replay(
    gateway: Gateway,
    task_id: str,
    record: Mapping[str, str],
    after: StreamId,
    until: StreamId,
) -> _Start:
    """The task's changes after ``after`` up to ``until``, as events; ``record`` is the
    task's record at ``until``."""
    events: list[ServerSentEvent] = []
    low, high = f"({format_id(after)}", format_id(until)
    stream = gateway.settings.stream_status_changes
    while after < until:
        page: list[tuple[str, dict[str, str]]]
        page = await gateway.redis.xrange(stream, low, high, PAGE)  # type: ignore[assignment]
        for entry_id, fields in page:
            entry = Entry(parse_id(entry_id) or until, fields)
            if entry.task_id != task_id:
                continue
            if _is_terminal(entry):
                events.append(_final_event(entry, record))
                return _Start(events, True, until)
            events.append(_change_event(entry))
        if len(page) < PAGE:
            break
        low = f"({page[-1][0]}"
    return _Start(events, False, until)


def _status(record: Mapping[str, str]) -> TaskStatus:
    return TaskStatus(record.get("status", TaskStatus.PENDING))


def _is_terminal(entry: Entry) -> bool:
    return entry.fields.get("status") in {s.value for s in TaskStatus if s.is_terminal}


def _status_event(task_id: str, record: Mapping[str, str], position: StreamId) -> ServerSentEvent:
    data = to_response(task_id, record).model_dump_json()
    return ServerSentEvent(data=data, event="status", id=format_id(position))


def _change_event(entry: Entry) -> ServerSentEvent:
    data = TaskStatusChange.model_validate(entry.fields).model_dump_json()
    return ServerSentEvent(data=data, event="change", id=format_id(entry.id))


def _final_event(entry: Entry, record: Mapping[str, str] | None) -> ServerSentEvent:
    """A finished task's last event: its whole status (summary or error) when the record
    is still at that status, else (redriven since, or expired) the change alone."""
    if record is None or record.get("status") != entry.fields.get("status"):
        return _change_event(entry)
    return _status_event(entry.task_id, record, entry.id)
