"""Send Celery tasks by name without blocking the event loop."""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from celery import Celery
from kombu.exceptions import BatchPublishError  # type: ignore[attr-defined]  # (kombu 5.7; stubs older)
from opentelemetry import context as otel_context

from contracts.events import SummarizationRequested
from contracts.streams import TaskHeaders, TaskNames
from contracts.types import DEFAULT_TENANT, Kind
from shared.celery_app import kwargs_repr
from shared.logging import get_logger

log = get_logger(__name__)


def task_call(event: SummarizationRequested) -> tuple[str, dict[str, object]]:
    """The Celery task name and keyword arguments for a request."""
    tenant = event.tenant or DEFAULT_TENANT
    if event.kind is Kind.PROFILE:
        return TaskNames.PROFILE, {"candidate_id": event.candidate_id, "tenant": tenant}
    kwargs: dict[str, object] = {
        "tenant": tenant,
        "session_id": event.session_id,
        "candidate_id": event.candidate_id,
        "mode": event.mode.value,
    }
    if event.transcript is not None:
        kwargs["transcript"] = [t.model_dump(mode="json") for t in event.transcript]
    return TaskNames.SESSION, kwargs


class Send(NamedTuple):
    """One task to send: its request, the trace context to send it in, and the attempts
    its task had in earlier runs (a header, so the worker numbers its attempts on)."""

    event: SummarizationRequested
    context: otel_context.Context
    attempts_before: int = 0


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

    def send_many_sync(self, batch: Sequence[Send]) -> None:
        with self._app.producer_or_acquire() as producer:
            if len(batch) > 1 and producer.supports_batch_publish:
                try:
                    # kombu's publish batch: the LPUSHes buffered, then sent in one pipeline
                    # (one round trip, not one per task) as the block exits
                    with producer.batch(max_size=len(batch) + 1):
                        for send in batch:
                            self._send(producer, send)
                    return
                except Exception as exc:
                    # failed before the pipeline ran: nothing went out; the pipeline failed
                    # (BatchPublishError): which tasks reached the queue is unknown. Each
                    # is sent again, with kombu's publish retries: some may be queued
                    # twice (the worker runs the same task id to the same stored summary)
                    log.warning(
                        "batch_send_failed",
                        tasks=len(batch),
                        maybe_queued=isinstance(exc, BatchPublishError),
                        error=repr(exc.__cause__ or exc),
                    )
            sent = 0
            try:
                for send in batch:
                    self._send(producer, send)
                    sent += 1
            except Exception as exc:
                raise SendFailed(sent, exc) from exc

    def _send(self, producer: Any, send: Send) -> None:
        event = send.event
        name, kwargs = task_call(event)
        headers = (
            {TaskHeaders.ATTEMPTS_BEFORE: send.attempts_before} if send.attempts_before else {}
        )
        token = otel_context.attach(send.context)
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
                headers=headers,
            )
        finally:
            otel_context.detach(token)

    async def send_many(self, batch: Sequence[Send]) -> None:
        """Send in order; raises ``SendFailed`` saying how many went out before a failure."""
        if batch:
            await asyncio.to_thread(self.send_many_sync, batch)
