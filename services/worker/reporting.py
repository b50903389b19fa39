"""What the worker reports of its tasks on the lifecycle stream, and when.

* ``task-started``: Celery's ``task_prerun`` signal (without waiting for Redis' answer);
* ``task-retried``: ``task_retry``, with the failed attempt's error as fields and the
  delay before the next attempt (best effort);
* ``task-succeeded``: the task itself, as its last step, with its result: if Redis
  stays away the task fails and is retried (``tasks.register_tasks``);
* ``task-failed``: ``task_failure``, with the error as fields, retried while Redis is
  away (the result backend holds the failure too: the reconciler's repair);
* ``task-revoked``: ``task_revoked`` (best effort).

The handlers listen to this app's task objects only (the signals' ``sender``). A
terminal entry names the task's request (``TaskFacts``) and when its attempt started.
Attempts are numbered after a redriven task's earlier ones: the dispatcher sends the
count in the ``attempts_before`` header, and Celery's retries keep it.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task, signals
from celery.exceptions import Retry

from contracts.streams import TaskHeaders, TaskNames
from contracts.types import DEFAULT_TENANT, Kind
from services.worker.lifecycle import LifecycleStream
from shared.lifecycle import ErrorInfo, LifecycleEntry, LifecycleEvent, TaskFacts
from shared.logging import get_logger

log = get_logger(__name__)

OUR_TASKS = (TaskNames.SESSION, TaskNames.PROFILE)
STARTED_AT = "lifecycle_started_at"
"""Where the request keeps when its attempt started (ISO 8601), for its terminal entry."""


def attempt_of(request: Any) -> int:
    """The number of a request's attempt, after a redriven task's earlier attempts."""
    before = (request.headers or {}).get(TaskHeaders.ATTEMPTS_BEFORE) or 0
    return int(before) + int(request.retries or 0) + 1


def facts_of(task_name: str, kwargs: Mapping[str, Any] | None) -> TaskFacts:
    """The request a task runs, from its name and arguments."""
    kwargs = kwargs or {}
    kind = Kind.SESSION if task_name == TaskNames.SESSION else Kind.PROFILE
    return TaskFacts(
        kind=kind.value,
        candidate_id=str(kwargs.get("candidate_id") or ""),
        session_id=str(kwargs.get("session_id") or "") if kind is Kind.SESSION else "",
        mode=str(kwargs.get("mode") or "SELF_REPORT") if kind is Kind.SESSION else "",
        tenant=str(kwargs.get("tenant") or DEFAULT_TENANT),
    )


def terminal(
    stream: LifecycleStream, event: LifecycleEvent, task: Task[Any, Any], **fields: Any
) -> LifecycleEntry:
    """A terminal entry of the task's current attempt."""
    request = task.request
    return stream.entry(
        event,
        str(request.id),
        attempt=attempt_of(request),
        retries=int(request.retries or 0),
        facts=facts_of(task.name, request.kwargs),
        started_at=str(getattr(request, STARTED_AT, "") or ""),
        **fields,
    )


def _seconds_until(when: Any) -> float:
    """A retry's delay in seconds (Celery gives a countdown or an ETA)."""
    if isinstance(when, datetime):
        eta = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        return max(0.0, (eta - datetime.now(UTC)).total_seconds())
    return float(when or 0)


def connect_lifecycle(app: Celery, stream: LifecycleStream) -> None:
    """Report this app's tasks' steps on ``stream`` (see the module's docstring)."""

    def started(task: Any = None, **_: Any) -> None:
        request = task.request
        entry = stream.entry(
            LifecycleEvent.STARTED,
            str(request.id),
            attempt=attempt_of(request),
            retries=int(request.retries or 0),
            facts=facts_of(task.name, request.kwargs),
        )
        setattr(request, STARTED_AT, datetime.fromtimestamp(entry.timestamp, UTC).isoformat())
        stream.started(entry)

    def retried(request: Any = None, reason: Any = None, **_: Any) -> None:
        if request is None or not isinstance(reason, Retry):
            return
        cause = reason.exc if reason.exc is not None else reason
        entry = stream.entry(
            LifecycleEvent.RETRIED,
            str(request.id),
            attempt=attempt_of(request),
            retries=int(request.retries or 0),
            error=ErrorInfo.of(cause),
            retry_in=_seconds_until(reason.when),
        )
        stream.emit(entry)

    def failed(sender: Any = None, exception: Any = None, **_: Any) -> None:
        entry = terminal(stream, LifecycleEvent.FAILED, sender, error=ErrorInfo.of(exception))
        try:
            stream.append(entry)
        except Exception as exc:  # the reconciler repairs it from the result backend
            log.warning("lifecycle_append_failed", task_id=entry.task_id, error=str(exc))

    def revoked(sender: Any = None, request: Any = None, expired: bool = False, **_: Any) -> None:
        if request is None:
            return
        entry = stream.entry(
            LifecycleEvent.REVOKED,
            str(request.id),
            attempt=attempt_of(request),
            facts=facts_of(sender.name, getattr(request, "kwargs", None)),
            expired=expired,
        )
        stream.emit(entry)

    for name in OUR_TASKS:
        task = app.tasks[name]
        signals.task_prerun.connect(started, sender=task, weak=False)
        signals.task_retry.connect(retried, sender=task, weak=False)
        signals.task_failure.connect(failed, sender=task, weak=False)
        signals.task_revoked.connect(revoked, sender=task, weak=False)
