"""The dispatcher's decisions for a batch of stream entries: dead-letter, skip or send.

A batch costs a fixed number of round trips whatever its size: one pipeline of PENDING
records (each also checks the entry was not already dispatched), the Celery sends in one
worker thread through one producer, and one pipeline of "dispatched" marks that also
acknowledges the batch (XACK) when asked to. Each entry
is traced on its own: a ``{stream} process`` span, child of the producer's span, under
which its task is sent.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from contracts.events import SummarizationRequested
from services.dispatcher.metrics import DEAD_LETTERED, DISPATCHED, DUPLICATES
from services.dispatcher.parsing import InvalidEvent, parse_request
from services.dispatcher.rejection import rejection, usable_task_id
from services.dispatcher.sender import Send, SendFailed
from services.dispatcher.settings import DispatcherSettings
from shared import keys
from shared.dead_letters import dead_letter
from shared.logging import get_logger
from shared.task_state import AsyncStateWriter, accept
from shared.telemetry import context_from, current_traceparent, tracer, use_context

log = get_logger(__name__)


class Sender(Protocol):
    async def send_many(self, batch: Sequence[Send]) -> None: ...


class Outcome(StrEnum):
    SENT = "sent"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True, slots=True)
class Entry:
    """One stream entry: its id, its decoded body and its headers (trace context)."""

    entry_id: str
    body: Any
    headers: Mapping[str, str]
    problem: str | None = None
    """Why the entry is no event, found while decoding it (not UTF-8, a bad envelope)."""


@dataclass
class _Valid:
    entry: Entry
    event: SummarizationRequested
    span: Span
    context: Context
    """The producer's context with ``span`` current: the entry's sends run in it."""
    attempts_before: int = 0
    """Attempts the task had in earlier runs (a redriven task)."""


@dataclass
class Dispatcher:
    settings: DispatcherSettings
    redis: aioredis.Redis
    sender: Sender
    state: AsyncStateWriter

    async def handle(self, entry: Entry) -> Outcome:
        """Process one entry. Raises only when the entry must stay pending (retry later)."""
        [outcome] = await self.handle_batch([entry])
        return outcome

    async def handle_batch(self, entries: Sequence[Entry], ack: bool = False) -> list[Outcome]:
        """Process entries in order; an outcome for each. With ``ack``, the entries are
        acknowledged in the consumer group once every one has its outcome, in the same
        round trip as the dispatch marks.

        Raises when some entry must stay pending (Redis or the broker failed): the
        batch is then not acknowledged, and entries already sent are marked dispatched
        first, so a redelivery skips them."""
        outcomes: dict[str, Outcome] = {}
        valid: list[_Valid] = []
        invalid: list[tuple[Entry, InvalidEvent]] = []
        for entry in entries:
            try:
                valid.append(_Valid(entry, self._parse(entry), *self._span(entry)))
            except InvalidEvent as exc:
                invalid.append((entry, exc))
            except Exception as exc:  # what the entry holds, not Redis: it will not change
                log.exception("entry_unreadable", entry_id=entry.entry_id)
                invalid.append((entry, InvalidEvent(f"entry could not be read: {exc!r}")))
        try:
            if invalid:
                await self._dead_letter(invalid)
                await self._fail_refused(invalid)
                for entry, _ in invalid:
                    outcomes[entry.entry_id] = Outcome.DEAD_LETTERED
            to_send = await self._record(valid, outcomes)
            await self._send(to_send)
            await self._finish(to_send, [entry.entry_id for entry in entries] if ack else [])
            for item in to_send:
                outcomes[item.entry.entry_id] = Outcome.SENT
        except BaseException as exc:
            for item in valid:
                if item.entry.entry_id not in outcomes:
                    item.span.record_exception(exc)
                    item.span.set_status(Status(StatusCode.ERROR, str(exc)))
            raise
        finally:
            for item in valid:
                item.span.end()
        return [outcomes[entry.entry_id] for entry in entries]

    def _parse(self, entry: Entry) -> SummarizationRequested:
        if entry.problem is not None:
            raise InvalidEvent(entry.problem)
        body = entry.body
        size = len(body) if isinstance(body, bytes | str) else len(orjson.dumps(body))
        return parse_request(body, size, self.settings.max_event_bytes)

    def _span(self, entry: Entry) -> tuple[Span, Context]:
        stream = self.settings.stream_requested
        parent = context_from(entry.headers)
        span = tracer().start_span(
            f"{stream} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "redis",
                "messaging.operation.type": "process",
                "messaging.destination.name": stream,
                "messaging.message.id": entry.entry_id,
                "messaging.consumer.group.name": self.settings.consumer_group,
            },
        )
        return span, trace.set_span_in_context(span, parent)

    async def _record(self, valid: list[_Valid], outcomes: dict[str, Outcome]) -> list[_Valid]:
        """PENDING records for the batch; the entries whose task still has to be sent
        (not already sent, and not a repeat of an earlier entry in this batch)."""
        unique: dict[str, _Valid] = {}
        for item in valid:
            item.span.set_attribute("summarization.task_id", item.event.task_id)
            item.span.set_attribute("summarization.kind", item.event.kind.value)
            if item.event.task_id in unique:
                self._duplicate(item, outcomes)
            else:
                unique[item.event.task_id] = item
        firsts = list(unique.values())
        recordings = [
            accept(item.event, current_traceparent(item.context).get("traceparent", ""))
            for item in firsts
        ]
        results = await self.state.apply_many(recordings)
        to_send = []
        for item, result in zip(firsts, results, strict=True):
            if result.code < 0:
                self._duplicate(item, outcomes)
            else:
                item.attempts_before = int(result.value or 0)
                to_send.append(item)
        return to_send

    def _duplicate(self, item: _Valid, outcomes: dict[str, Outcome]) -> None:
        outcomes[item.entry.entry_id] = Outcome.DUPLICATE
        with use_context(item.context):
            log.info(
                "duplicate_request_skipped",
                task_id=item.event.task_id,
                entry_id=item.entry.entry_id,
            )
        DUPLICATES.inc()

    async def _send(self, to_send: list[_Valid]) -> None:
        batch = [Send(item.event, item.context, item.attempts_before) for item in to_send]
        try:
            await self.sender.send_many(batch)
        except SendFailed as exc:
            await self._finish(to_send[: exc.sent], [])
            raise exc.cause from exc

    async def _finish(self, sent: list[_Valid], ack_ids: list[str]) -> None:
        """Mark ``sent`` dispatched and acknowledge ``ack_ids``: one round trip. With an
        acknowledgement it is a transaction: a mark Redis refuses (out of memory) must not
        leave its entry acknowledged, unmarked, beyond the redispatcher's reach."""
        if not sent and not ack_ids:
            return
        async with self.redis.pipeline(transaction=bool(ack_ids)) as pipe:
            for item in sent:
                dedupe_key = keys.dispatched(self.settings.key_prefix, item.event.task_id)
                pipe.set(dedupe_key, item.entry.entry_id, ex=self.settings.dedupe_ttl_seconds)
            if ack_ids:
                pipe.xack(self.settings.stream_requested, self.settings.consumer_group, *ack_ids)
            await pipe.execute()
        for item in sent:
            kind = item.event.kind.value
            with use_context(item.context):
                log.info(
                    "task_sent", task_id=item.event.task_id, kind=kind, entry_id=item.entry.entry_id
                )
            DISPATCHED.labels(kind).inc()

    async def _dead_letter(self, invalid: list[tuple[Entry, InvalidEvent]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry, exc in invalid:
                fields = dead_letter(
                    reason=exc.reason,
                    errors=exc.errors,
                    payload=entry.body,
                    source=self.settings.stream_requested,
                    source_id=entry.entry_id,
                    service="dispatcher",
                )
                pipe.xadd(
                    self.settings.stream_requested_dlq,
                    fields,  # type: ignore[arg-type]
                    maxlen=self.settings.stream_maxlen,
                    approximate=True,
                )
            await pipe.execute()
        for entry, exc in invalid:
            with use_context(context_from(entry.headers)):
                log.warning("event_dead_lettered", reason=exc.reason, entry_id=entry.entry_id)
            DEAD_LETTERED.labels("invalid").inc()

    async def _fail_refused(self, invalid: list[tuple[Entry, InvalidEvent]]) -> None:
        """A refused entry that names a usable task id ends that task as FAILURE, with
        its failure event (once: a redelivered entry changes nothing more); unless the
        task was already sent (a bad copy of a good request fails nothing)."""
        for entry, exc in invalid:
            task_id = usable_task_id(entry.body)
            if task_id is None:
                continue
            applied = await self.state.apply(
                rejection(entry.body, task_id, exc.reason, entry.headers)
            )
            if applied.code == 2:
                log.warning("request_refused", task_id=task_id, reason=exc.reason)
