"""Send Celery tasks by name without blocking the event loop."""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Celery
from kombu.exceptions import BatchPublishError  # type: ignore[attr-defined]  # (kombu 5.7; stubs older)
from opentelemetry import context as otel_context

from contracts.events import SummarizationRequested
from contracts.streams import TaskNames
from contracts.types import Kind
from shared.celery_app import kwargs_repr
from shared.logging import get_logger

log = get_logger(__name__)


def task_call(event: SummarizationRequested) -> tuple[str, dict[str, object]]:
    """The Celery task name and keyword arguments for a request."""
    if event.kind is Kind.PROFILE:
        return TaskNames.PROFILE, {"candidate_id": event.candidate_id}
    kwargs: dict[str, object] = {
        "session_id": event.session_id,
        "candidate_id": event.candidate_id,
        "mode": event.mode.value,
    }
    if event.transcript is not None:
        kwargs["transcript"] = [t.model_dump(mode="json") for t in event.transcript]
    return TaskNames.SESSION, kwargs


class SendFailed(Exception):
    """A send failed part-way through a batch; ``sent`` tasks did go out."""

    def __init__(self, sent: int, cause: BaseException) -> None:
        super().__init__(f"sent {sent} tasks, then: {cause!r}")
        self.sent = sent
        self.cause = cause


class CelerySender:
    """Celery's producer is synchronous: sends run in a worker thread, a batch at a time,
    through one producer (one pooled broker connection) in one kombu publish batch (one
    pipeline). Each send runs in its request's trace context; the Celery instrumentation
    puts it in the task's headers.

    Tasks go out with ``ignore_result``: a success reaches the status view on the worker's
    lifecycle stream (the task appends ``task-succeeded`` with its result before it is
    acknowledged), so the result backend's STARTED and SUCCESS writes (two round trips
    each) are not needed. Failures are still stored (the tasks set
    ``store_errors_even_if_ignored``): the projector and the reconciler read them."""

    def __init__(self, app: Celery, queues: Mapping[str, str]) -> None:
        self._app = app
        self._queues = queues

    def send_many_sync(
        self, batch: Sequence[tuple[SummarizationRequested, otel_context.Context]]
    ) -> None:
        with self._app.producer_or_acquire() as producer:
            try:
                # kombu's publish batch: the batch's LPUSHes go in one pipeline, one round
                # trip instead of one per task (sized so that it runs once, at the end)
                with producer.batch(max_size=max(1, len(batch))):
                    for event, trace_context in batch:
                        self._send(producer, event, trace_context)
                return
            except BatchPublishError as exc:
                # the pipeline failed (Redis went away): which tasks reached the queue
                # is unknown; send each again, with kombu's publish retries (a task sent
                # twice runs once: the worker finds its stored summary)
                log.warning("batch_send_failed", tasks=len(batch), error=repr(exc.__cause__))
            except Exception as exc:  # before the pipeline ran: the batch was discarded
                raise SendFailed(0, exc) from exc
            sent = 0
            try:
                for event, trace_context in batch:
                    self._send(producer, event, trace_context)
                    sent += 1
            except Exception as exc:
                raise SendFailed(sent, exc) from exc

    def _send(
        self, producer: Any, event: SummarizationRequested, trace_context: otel_context.Context
    ) -> None:
        name, kwargs = task_call(event)
        token = otel_context.attach(trace_context)
        try:
            self._app.send_task(
                name,
                kwargs=kwargs,
                task_id=event.task_id,
                queue=self._queues[event.kind.value],
                producer=producer,
                argsrepr="()",
                kwargsrepr=kwargs_repr(kwargs),
                ignore_result=True,
            )
        finally:
            otel_context.detach(token)

    async def send_many(
        self, batch: Sequence[tuple[SummarizationRequested, otel_context.Context]]
    ) -> None:
        """Send in order; raises ``SendFailed`` saying how many went out before a failure."""
        if batch:
            await asyncio.to_thread(self.send_many_sync, batch)
