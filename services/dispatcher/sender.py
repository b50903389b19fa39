"""Send Celery tasks by name without blocking the event loop."""

import asyncio
from collections.abc import Mapping

from celery import Celery

from contracts.events import SummarizationRequested
from contracts.streams import TaskNames
from contracts.types import Kind


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


class CelerySender:
    """Celery's producer is synchronous: sends run in a worker thread (which inherits the
    current trace context; the Celery instrumentation puts it in the task's headers)."""

    def __init__(self, app: Celery, queues: Mapping[str, str]) -> None:
        self._app = app
        self._queues = queues

    def send_sync(self, event: SummarizationRequested) -> None:
        name, kwargs = task_call(event)
        self._app.send_task(
            name, kwargs=kwargs, task_id=event.task_id, queue=self._queues[event.kind.value]
        )

    async def send(self, event: SummarizationRequested) -> None:
        await asyncio.to_thread(self.send_sync, event)
