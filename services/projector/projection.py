"""Lifecycle entries -> status transitions. One handler per entry type (a table).

Pure functions: an entry (in the shape of Celery's task event) in, a ``Step`` out. The
entry's ``timestamp`` (the worker's clock) orders the non-terminal steps; the Lua script
does the ordering.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.status import TaskStatus
from shared.status_view import iso

Event = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    status: TaskStatus
    state: str
    fields: dict[str, str] = field(default_factory=dict)
    creates: bool = False
    """True when the event names one of our tasks and may create a missing record."""


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


TERMINAL_EVENTS = frozenset({"task-succeeded", "task-failed", "task-revoked"})

HANDLERS: dict[str, Callable[[Event], Step]] = {
    "task-started": _started,
    "task-retried": _retried,
    "task-succeeded": _succeeded,
    "task-failed": _failed,
    "task-revoked": _revoked,
}


def step_for(event: Event) -> Step | None:
    """The step an event makes, or None for events the view does not track."""
    handler = HANDLERS.get(str(event.get("type", "")))
    if handler is None or "uuid" not in event:
        return None
    step = handler(event)
    step.fields["state"] = step.state
    step.fields["updated_at"] = iso(float(event.get("timestamp") or 0) or None)
    return step
