"""Apply task events to the status view, publishing the outcome of terminal ones."""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
import redis
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from contracts.events import SummarizationCompleted, SummarizationFailed, TaskError
from contracts.status import TaskStatus
from services.projector.metrics import observe_outcome
from services.projector.outcome import (
    envelope,
    needs_dead_letter,
    outcome_event,
    summary_json,
    task_dead_letter,
    task_error,
)
from services.projector.projection import Event, Step, step_for
from services.projector.results import ResultReader
from services.projector.settings import ProjectorSettings
from shared.logging import get_logger
from shared.status_view import Transition, TransitionWriter
from shared.telemetry import context_from, current_traceparent, tracer

log = get_logger(__name__)

APPLIED_NAMES = {0: "ignored", 1: "applied", 2: "published"}


def as_applied(record: dict[str, str], transitions: Sequence[Transition]) -> dict[str, str]:
    """The record as the transition script (``shared/lua/transition.lua``) leaves it
    after ``transitions``, by the script's rules: a terminal record is final, a record
    without ``ts`` is made only by a transition that may create it, and a non-terminal
    transition older than the record is ignored.

    A batch reads its terminal steps' records before any of its transitions is applied:
    a task started and finished in one batch would otherwise have its outcome (attempts,
    ``started_at``, the dead letter's attempt) built from the record before it started."""
    for transition in transitions:
        if record.get("terminal") == "1":
            break
        ts = record.get("ts")
        if ts is None and not transition.may_create:
            continue
        if not transition.terminal and ts is not None and transition.timestamp < float(ts):
            continue
        record = {
            **record,
            "status": transition.status.value,
            "ts": repr(transition.timestamp),
            "terminal": "1" if transition.terminal else "0",
            **transition.fields,
        }
    return record


class Projector:
    def __init__(
        self, settings: ProjectorSettings, writer: TransitionWriter, results: ResultReader
    ) -> None:
        self._settings = settings
        self._writer = writer
        self._results = results

    def on_event(self, event: Event) -> int:
        """0 ignored, 1 applied, 2 applied and the outcome event published."""
        return self.apply_batch([event])[0]

    def apply_batch(self, events: Sequence[Event]) -> list[int]:
        """Apply events in order: what ``on_event`` returns, for each.

        Two round trips whatever the batch's size: the records of the terminal steps are
        read in one pipeline, and every transition is applied in another. An event that
        cannot be made into a transition is logged and counts as ignored; a Redis error
        is raised (the caller retries the batch: applying twice is harmless)."""
        steps = [step_for(event) for event in events]
        terminal_ids = [
            str(event["uuid"])
            for event, step in zip(events, steps, strict=True)
            if step is not None and step.status.is_terminal
        ]
        records = self._writer.read_many(terminal_ids)
        planned: list[tuple[int, Transition, _Finishing | None]] = []
        for index, (event, step) in enumerate(zip(events, steps, strict=True)):
            if step is None:
                continue
            try:
                plans = self._plan(event, step, records)
                task_id = str(event["uuid"])
                if task_id in records:  # as a later terminal step of the batch must see it
                    records[task_id] = as_applied(records[task_id], [t for t, _ in plans])
                planned.extend((index, transition, finishing) for transition, finishing in plans)
            except redis.RedisError:
                raise
            except Exception:
                log.exception(
                    "event_projection_failed",
                    event_type=event.get("type"),
                    task_id=event.get("uuid"),
                )
        results = [0] * len(events)
        try:
            applied = self._writer.apply_many([transition for _, transition, _ in planned])
        except BaseException as exc:
            for _, _, finishing in planned:
                if finishing is not None:
                    finishing.fail(exc)
            raise
        for (index, transition, finishing), result in zip(planned, applied, strict=True):
            results[index] = result
            if finishing is not None:
                finishing.done(result)
            else:
                log.debug(
                    "task_event",
                    task_id=transition.task_id,
                    status=transition.status.value,
                    outcome=APPLIED_NAMES[result],
                )
        return results

    def _plan(
        self, event: Event, step: Step, records: Mapping[str, dict[str, str]]
    ) -> list[tuple[Transition, "_Finishing | None"]]:
        task_id = str(event["uuid"])
        if step.status.is_terminal:
            record = records.get(task_id)
            if not record or record.get("terminal") == "1":
                return []
            meta = self._outcome_meta(task_id, step, event)
            if step.status is TaskStatus.SUCCESS and meta is None:
                # Celery's copy of a success whose result only the lifecycle entry carries
                # (the dispatcher's tasks store none): that entry will finish the record
                log.debug("success_without_result_skipped", task_id=task_id)
                return []
            finishing = self._finishing(task_id, step, event, record, meta)
            return [(finishing.transition, finishing)]
        if step.status is TaskStatus.RETRY and "retries" in event:
            # only the worker's lifecycle entries say which attempt failed
            attempt = int(event.get("attempt") or int(event["retries"]) + 1)
            self._writer.record_error(
                task_id, attempt, _chain_entry(event, step, task_error(event))
            )
        transition = Transition(
            task_id, step.status, float(event["timestamp"]), step.fields, may_create=step.creates
        )
        return [(transition, None)]

    def _outcome_meta(self, task_id: str, step: Step, event: Event) -> dict[str, Any] | None:
        """What a terminal step's outcome is made from: the result the lifecycle entry
        carries, else the result backend's meta (a success's only if it is SUCCESS)."""
        carried = event.get("result_json")
        if step.status is not TaskStatus.SUCCESS:
            return self._results.meta(task_id)
        if carried:
            return {"result": orjson.loads(str(carried))}
        meta = self._results.meta(task_id)
        return meta if meta is not None and meta.get("status") == "SUCCESS" else None

    def _finishing(
        self,
        task_id: str,
        step: Step,
        event: Event,
        record: dict[str, str],
        meta: dict[str, Any] | None,
    ) -> "_Finishing":
        """The terminal transition, traced as a child of the task's run (or its request):
        its spans stay open until the transition is applied."""
        traceparent = str(event.get("traceparent") or record.get("traceparent") or "")
        attributes = {
            "summarization.task_id": task_id,
            "summarization.kind": record.get("kind", ""),
            "messaging.system": "redis",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._settings.stream_lifecycle,
        }
        update = tracer().start_span(
            "summarization.status update",
            context=context_from({"traceparent": traceparent}) if traceparent else None,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        )
        try:
            with trace.use_span(update, end_on_exit=False):
                transition, outcome = self._terminal(task_id, step, event, record, meta)
                publish = tracer().start_span(
                    f"{transition.outcome_stream} publish",
                    kind=SpanKind.PRODUCER,
                    attributes={
                        **attributes,
                        "messaging.operation.type": "publish",
                        "messaging.destination.name": transition.outcome_stream,
                        "messaging.message.id": outcome.event_id,
                    },
                )
        except BaseException as exc:
            update.record_exception(exc)
            update.end()
            raise
        headers = current_traceparent(trace.set_span_in_context(publish))
        transition = replace(transition, outcome_envelope=envelope(outcome, headers))
        return _Finishing(transition, record, update, publish)

    def _terminal(
        self,
        task_id: str,
        step: Step,
        event: Event,
        record: dict[str, str],
        meta: dict[str, Any] | None,
    ) -> tuple[Transition, SummarizationCompleted | SummarizationFailed]:
        fields = dict(step.fields)
        fields["projected_at"] = repr(time.time())
        summary: Any = None
        error = None
        if step.status is TaskStatus.SUCCESS:
            summary = (meta or {}).get("result")
            fields["summary"] = summary_json(summary)
        elif step.status is TaskStatus.FAILURE:
            error = task_error(event, meta)
        else:
            error = TaskError(type="TaskRevoked", message=fields["error"], retryable=False)
        dead = None
        if error is not None:
            fields.update(
                error=error.message,
                error_type=error.type,
                retryable="1" if error.retryable else "0",
            )
            if step.status is TaskStatus.FAILURE and needs_dead_letter(error):
                last = {"attempt": record.get("attempts", "1"), **_chain_entry(event, step, error)}
                chain = [*self._writer.error_chain(task_id), last]
                dead = task_dead_letter({**record, **fields}, error, chain, meta)
        outcome = outcome_event(
            {**record, **fields}, step.status, fields["finished_at"], summary, error
        )
        stream = (
            self._settings.stream_completed
            if step.status is TaskStatus.SUCCESS
            else self._settings.stream_failed
        )
        transition = Transition(
            task_id,
            step.status,
            float(event["timestamp"]),
            fields,
            outcome_stream=stream,
            dead_letter=dead,
        )
        return transition, outcome


def _chain_entry(event: Event, step: Step, error: TaskError) -> dict[str, str]:
    """One link of a task's failure chain: when, the error as fields, and for a retry the
    delay before the next attempt (seconds)."""
    link = {
        "at": step.fields.get("updated_at", ""),
        "status": step.status.value,
        "error_type": error.type,
        "error_message": error.message,
        "permanent": "0" if error.retryable else "1",
        "worker": str(event.get("hostname", "")),
    }
    if event.get("retry_in"):
        link["retry_in"] = str(event["retry_in"])
    return link


@dataclass
class _Finishing:
    """A terminal transition waiting to be applied, with its open spans."""

    transition: Transition
    record: dict[str, str]
    update: Span
    publish: Span

    def done(self, result: int) -> None:
        self.publish.set_attribute("summarization.published", result == 2)
        self.publish.end()
        with trace.use_span(self.update, end_on_exit=True):
            if result == 2:
                status = self.transition.status.value
                log.info("task_finished", task_id=self.transition.task_id, status=status)
                observe_outcome(
                    self.record.get("kind", ""),
                    status,
                    self.transition.outcome_stream,
                    {
                        **self.record,
                        **self.transition.fields,
                        "ts": repr(self.transition.timestamp),
                    },
                    self.transition.dead_letter is not None,
                )

    def fail(self, exc: BaseException) -> None:
        for span in (self.publish, self.update):
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
            span.end()
