"""Apply one Celery task event to the status view, publishing the outcome when terminal."""

import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import structlog
from opentelemetry.trace import SpanKind

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
SEEN_LIMIT = 100_000
IMPLIED = {"task-started": ("task-received",)}
"""A lifecycle step that makes a Celery event redundant too (started carries attempts)."""


class Projector:
    def __init__(
        self, settings: ProjectorSettings, writer: TransitionWriter, results: ResultReader
    ) -> None:
        self._settings = settings
        self._writer = writer
        self._results = results
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._seen_lock = threading.Lock()

    def remember(self, event: Event) -> None:
        """Note a step applied from the lifecycle stream (bounded memory: newest kept)."""
        task_id, event_type = str(event.get("uuid")), str(event.get("type"))
        with self._seen_lock:
            self._seen[(task_id, event_type)] = None
            for earlier in IMPLIED.get(event_type, ()):
                self._seen[(task_id, earlier)] = None
            while len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)

    def seen(self, event: Event) -> bool:
        """Whether this step (task, event type) was already applied from the lifecycle.

        A retried task repeats its steps; the lifecycle reports each attempt, so a Celery
        copy of any of them adds nothing while the lifecycle copy arrives."""
        key = (str(event.get("uuid")), str(event.get("type")))
        with self._seen_lock:
            return key in self._seen

    def on_event(self, event: Event) -> int:
        """0 ignored, 1 applied, 2 applied and the outcome event published."""
        step = step_for(event)
        if step is None:
            return 0
        task_id = str(event["uuid"])
        structlog.contextvars.bind_contextvars(task_id=task_id)
        if step.status.is_terminal:
            return self._finish(task_id, step, event)
        if step.status is TaskStatus.RETRY and "retries" in event:
            # only the worker's lifecycle entries say which attempt failed
            attempt = int(event["retries"]) + 1
            self._writer.record_error(task_id, attempt, _chain_entry(event, step))
        transition = Transition(
            task_id, step.status, float(event["timestamp"]), step.fields, may_create=step.creates
        )
        result = self._writer.apply(transition)
        log.debug("task_event", type=event.get("type"), outcome=APPLIED_NAMES[result])
        return result

    def _finish(self, task_id: str, step: Step, event: Event) -> int:
        """The terminal transition, traced as a child of the task's run (or its request)."""
        record = self._writer.read(task_id)
        if not record or record.get("terminal") == "1":
            return 0
        traceparent = str(event.get("traceparent") or record.get("traceparent") or "")
        attributes = {
            "summarization.task_id": task_id,
            "summarization.kind": record.get("kind", ""),
            "messaging.system": "redis",
            "messaging.operation.type": "process",
            "messaging.destination.name": self._settings.stream_lifecycle,
        }
        with tracer().start_as_current_span(
            "summarization.status update",
            context=context_from({"traceparent": traceparent}) if traceparent else None,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ):
            transition, outcome = self._terminal(task_id, step, event, record)
            with tracer().start_as_current_span(
                f"{transition.outcome_stream} publish",
                kind=SpanKind.PRODUCER,
                attributes={
                    **attributes,
                    "messaging.operation.type": "publish",
                    "messaging.destination.name": transition.outcome_stream,
                    "messaging.message.id": outcome.event_id,
                },
            ) as span:
                headers = current_traceparent()
                transition = replace(transition, outcome_envelope=envelope(outcome, headers))
                result = self._writer.apply(transition)
                span.set_attribute("summarization.published", result == 2)
        if result == 2:
            log.info("task_finished", status=step.status.value)
            observe_outcome(
                record.get("kind", ""),
                step.status.value,
                transition.outcome_stream,
                {**record, **transition.fields, "ts": repr(transition.timestamp)},
                transition.dead_letter is not None,
            )
        return result

    def _terminal(
        self, task_id: str, step: Step, event: Event, record: dict[str, str]
    ) -> tuple[Transition, SummarizationCompleted | SummarizationFailed]:
        meta = self._results.meta(task_id)
        fields = dict(step.fields)
        fields["projected_at"] = repr(time.time())
        summary: Any = None
        error = None
        if step.status is TaskStatus.SUCCESS:
            summary = (meta or {}).get("result")
            fields["summary"] = summary_json(summary)
        elif step.status is TaskStatus.FAILURE:
            error = task_error(meta, str(event.get("exception") or ""))
        else:
            error = task_error(None, fields.get("error", "TaskRevoked"))
            error = error.model_copy(update={"type": "TaskRevoked", "message": fields["error"]})
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


def _chain_entry(event: Event, step: Step, error: TaskError | None = None) -> dict[str, str]:
    """One link of a task's failure chain."""
    return {
        "at": step.fields.get("updated_at", ""),
        "status": step.status.value,
        "error": f"{error.type}: {error.message}" if error else str(event.get("exception", "")),
        "worker": str(event.get("hostname", "")),
    }
