"""Apply lifecycle entries to the status view: each entry's transition (``handlers``),
a batch in one round trip, the terminal ones traced and counted.

A terminal transition is traced as a child of the task's run (the entry's trace
context): a ``summarization.status update`` span, and under it the outcome event's
``<stream> publish`` span, whose context the event's envelope carries on. Both stay
open until the transition is applied.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import redis
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from services.projector.handlers import Meta, Planned, plan
from services.projector.metrics import observe_first_start, observe_outcome
from shared.envelope import event_envelope
from shared.lifecycle import LifecycleEntry
from shared.logging import get_logger
from shared.task_state import Applied, Change, StateWriter, TransitionName
from shared.telemetry import context_from, current_traceparent, tracer

log = get_logger(__name__)

APPLIED_NAMES = {0: "ignored", 1: "applied", 2: "published"}


class Projector:
    def __init__(self, writer: StateWriter, meta: Meta, stream: str) -> None:
        """``meta``: a task's result-backend meta; ``stream``: where entries come from."""
        self._writer = writer
        self._meta = meta
        self._stream = stream

    def apply(self, entries: Sequence[LifecycleEntry]) -> list[int]:
        """Apply entries in order; for each, 0 ignored, 1 applied, 2 applied and its
        outcome published. An entry that cannot be made into a transition is logged and
        counts as ignored; a Redis error is raised (the caller applies the batch again:
        applying twice is harmless)."""
        planned: list[tuple[int, LifecycleEntry, Change, _Finishing | None]] = []
        for index, entry in enumerate(entries):
            try:
                if entry.type.is_terminal:
                    terminal = self._finishing(entry)
                    planned.append((index, entry, terminal.change, terminal))
                else:
                    planned.append((index, entry, plan(entry, self._meta).change, None))
            except redis.RedisError:
                raise
            except Exception:
                log.exception(
                    "entry_projection_failed", entry_type=entry.type, task_id=entry.task_id
                )
        try:
            applied = self._writer.apply_many([change for _, _, change, _ in planned])
        except BaseException as exc:
            for *_, pending in planned:
                if pending is not None:
                    pending.fail(exc)
            raise
        results = [0] * len(entries)
        for (index, entry, change, finishing), outcome in zip(planned, applied, strict=True):
            results[index] = outcome.code
            if finishing is not None:
                finishing.done(outcome)
            else:
                self._applied(entry, change, outcome)
        return results

    def _applied(self, entry: LifecycleEntry, change: Change, outcome: Applied) -> None:
        if change.name is TransitionName.START and outcome.code and entry.attempt == 1:
            observe_first_start(
                entry.facts.kind if entry.facts else "", outcome.value, entry.timestamp
            )
        log.debug(
            "task_step",
            task_id=entry.task_id,
            transition=change.name.value,
            outcome=APPLIED_NAMES[outcome.code],
        )

    def _finishing(self, entry: LifecycleEntry) -> "_Finishing":
        """Plan a terminal entry under its spans: the update, and the outcome's publish
        (whose context goes in the outcome's envelope)."""
        stream_of = self._writer.config.outcome_stream
        attributes = {
            "summarization.task_id": entry.task_id,
            "summarization.kind": entry.facts.kind if entry.facts else "",
            "messaging.system": "redis",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._stream,
        }
        parent = context_from({"traceparent": entry.traceparent}) if entry.traceparent else None
        update = tracer().start_span(
            "summarization.status update", context=parent, kind=SpanKind.CONSUMER,
            attributes=attributes,
        )  # fmt: skip
        try:
            with trace.use_span(update, end_on_exit=False):
                planned = plan(entry, self._meta)
                assert planned.outcome is not None, "a terminal transition has an outcome"
                stream = stream_of(planned.change.status)
                publish = tracer().start_span(
                    f"{stream} publish",
                    kind=SpanKind.PRODUCER,
                    attributes={
                        **attributes,
                        "messaging.operation.type": "publish",
                        "messaging.destination.name": stream,
                        "messaging.message.id": planned.outcome.event_id,
                    },
                )
        except BaseException as exc:
            update.record_exception(exc)
            update.end()
            raise
        headers = current_traceparent(trace.set_span_in_context(publish))
        change = replace(planned.change, outcome=event_envelope(planned.outcome, headers))
        return _Finishing(entry, planned, change, stream, update, publish)


@dataclass
class _Finishing:
    """A terminal transition waiting to be applied, with its open spans."""

    entry: LifecycleEntry
    planned: Planned
    change: Change
    stream: str
    update: Span
    publish: Span

    def done(self, outcome: Applied) -> None:
        published = outcome.code == 2
        self.publish.set_attribute("summarization.published", published)
        self.publish.end()
        with trace.use_span(self.update, end_on_exit=True):
            if published:
                status = self.change.status.value
                log.info("task_finished", task_id=self.entry.task_id, status=status)
                observe_outcome(
                    self.entry.facts.kind if self.entry.facts else "",
                    status,
                    self.stream,
                    self.entry.started_at,
                    self.entry.timestamp,
                    self.change.dead_letter is not None,
                )

    def fail(self, exc: BaseException) -> None:
        for span in (self.publish, self.update):
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
            span.end()
