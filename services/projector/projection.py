"""Celery task events -> status transitions. One handler per event type (a table).

Pure functions: an event (Celery's dict) in, a ``Step`` out. Celery's ``timestamp`` (the
sender's clock) orders the non-terminal steps; the Lua script does the ordering.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.status import TaskStatus
from contracts.streams import TaskNames
from shared.status_view import iso

OUR_TASKS = frozenset({TaskNames.SESSION, TaskNames.PROFILE})

Event = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    status: TaskStatus
    state: str
    fields: dict[str, str] = field(default_factory=dict)
    creates: bool = False
    """True when the event names one of our tasks and may create a missing record."""


def _sent(event: Event) -> Step:
    return Step(TaskStatus.PENDING, "SENT", {"queue": str(event.get("queue") or "")}, True)


def _received(event: Event) -> Step:
    attempts = int(event.get("retries") or 0) + 1
    return Step(TaskStatus.PENDING, "RECEIVED", {"attempts": str(attempts)}, True)


def _started(event: Event) -> Step:
    fields = {"started_at": iso(event["timestamp"]), "worker": str(event.get("hostname", ""))}
    if "attempt" in event:  # the worker's lifecycle entry numbers it (after a redrive's)
        fields["attempts"] = str(event["attempt"])
    elif "retries" in event:
        fields["attempts"] = str(int(event["retries"]) + 1)
    return Step(TaskStatus.STARTED, "STARTED", fields)


def _retried(event: Event) -> Step:
    """The failed attempt's error, as the worker reported it (Celery's own event has
    only its repr: no error fields)."""
    fields = {
        "error": str(event.get("error_message") or ""),
        "error_type": str(event.get("error_type") or ""),
        "retryable": "1",
    }
    return Step(TaskStatus.RETRY, "RETRY", {k: v for k, v in fields.items() if v})


def _succeeded(event: Event) -> Step:
    return Step(TaskStatus.SUCCESS, "SUCCESS", {"finished_at": iso(event["timestamp"])})


def _failed(event: Event) -> Step:
    return Step(TaskStatus.FAILURE, "FAILURE", {"finished_at": iso(event["timestamp"])})


def _revoked(event: Event) -> Step:
    reason = "expired" if event.get("expired") else "revoked"
    fields = {"finished_at": iso(event["timestamp"]), "error": f"task {reason}"}
    return Step(TaskStatus.REVOKED, "REVOKED", {**fields, "error_type": "TaskRevoked"})


def _rejected(event: Event) -> Step:
    return Step(TaskStatus.PENDING, "REJECTED", {"requeued": "1" if event.get("requeue") else "0"})


TERMINAL_EVENTS = frozenset({"task-succeeded", "task-failed", "task-revoked"})

HANDLERS: dict[str, Callable[[Event], Step]] = {
    "task-sent": _sent,
    "task-received": _received,
    "task-started": _started,
    "task-retried": _retried,
    "task-succeeded": _succeeded,
    "task-failed": _failed,
    "task-revoked": _revoked,
    "task-rejected": _rejected,
}


def step_for(event: Event) -> Step | None:
    """The step an event makes, or None for events the view does not track."""
    handler = HANDLERS.get(str(event.get("type", "")))
    if handler is None or "uuid" not in event:
        return None
    step = handler(event)
    if step.creates and event.get("name") not in OUR_TASKS:
        return None
    step.fields["state"] = step.state
    step.fields["updated_at"] = iso(float(event.get("timestamp") or 0) or None)
    return step
