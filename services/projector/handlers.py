"""Lifecycle entries -> transitions of the status record: one handler per entry type.

A handler is a plain function: an entry in, the ``Change`` to apply out (with the
outcome event of a terminal one; the projector wraps it in its envelope, under the
publish span). ``Meta`` looks up a task's result-backend meta: a failure's dead letter
takes the task's arguments from there.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from contracts.status import TaskStatus
from services.projector.outcome import (
    Outcome,
    completed,
    failed,
    needs_dead_letter,
    task_dead_letter,
    task_error,
)
from shared.lifecycle import ErrorInfo, LifecycleEntry, LifecycleEvent
from shared.task_state import Change, TransitionName
from shared.task_state.changes import iso

Meta = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Planned:
    change: Change
    outcome: Outcome | None = None


def started(entry: LifecycleEntry, meta: Meta) -> Planned:
    fields = {
        "started_at": iso(entry.timestamp),
        "worker": entry.worker,
        "attempts": str(entry.attempt),
        "updated_at": iso(entry.timestamp),
    }
    return Planned(_change(TransitionName.START, entry, fields))


def retried(entry: LifecycleEntry, meta: Meta) -> Planned:
    error = entry.error or ErrorInfo("Error", "")
    fields = {**_error_fields(error), "updated_at": iso(entry.timestamp)}
    return Planned(_change(TransitionName.RETRY, entry, fields, _failure(entry, error)))


def succeeded(entry: LifecycleEntry, meta: Meta) -> Planned:
    summary = orjson.loads(entry.result_json)
    fields = {**_terminal_fields(entry), "summary": entry.result_json}
    return Planned(_change(TransitionName.SUCCEED, entry, fields), completed(entry, summary))


def failed_(entry: LifecycleEntry, meta: Meta) -> Planned:
    error = entry.error or ErrorInfo("Error", "the task failed")
    reported = task_error(error)
    fields = {**_terminal_fields(entry), **_error_fields(error)}
    change = _change(TransitionName.FAIL, entry, fields, _failure(entry, error))
    if needs_dead_letter(reported):
        letter = task_dead_letter(entry, reported, meta(entry.task_id))
        change = replace(change, dead_letter=letter)
    return Planned(change, failed(entry, TaskStatus.FAILURE, reported))


def revoked(entry: LifecycleEntry, meta: Meta) -> Planned:
    error = ErrorInfo("TaskRevoked", "task expired" if entry.expired else "task revoked", True)
    fields = {**_terminal_fields(entry), **_error_fields(error)}
    change = _change(TransitionName.REVOKE, entry, fields)
    return Planned(change, failed(entry, TaskStatus.REVOKED, task_error(error)))


HANDLERS: dict[LifecycleEvent, Callable[[LifecycleEntry, Meta], Planned]] = {
    LifecycleEvent.STARTED: started,
    LifecycleEvent.RETRIED: retried,
    LifecycleEvent.SUCCEEDED: succeeded,
    LifecycleEvent.FAILED: failed_,
    LifecycleEvent.REVOKED: revoked,
}


def plan(entry: LifecycleEntry, meta: Meta) -> Planned:
    return HANDLERS[entry.type](entry, meta)


def _change(
    name: TransitionName, entry: LifecycleEntry, fields: dict[str, str], failure: bytes = b""
) -> Change:
    return Change(
        name,
        entry.task_id,
        entry.timestamp,
        {k: v for k, v in fields.items() if v != ""},
        attempt=entry.attempt,
        failure=failure,
    )


def _terminal_fields(entry: LifecycleEntry) -> dict[str, str]:
    return {
        "finished_at": iso(entry.timestamp),
        "started_at": entry.started_at,
        "attempts": str(entry.attempt) if entry.started_at else "",
        "updated_at": iso(entry.timestamp),
        "projected_at": repr(time.time()),
    }


def _error_fields(error: ErrorInfo) -> dict[str, str]:
    """The record's error: as the worker reported it, never a repr."""
    return {
        "error": error.message,
        "error_type": error.type,
        "retryable": "0" if error.permanent else "1",
    }


def _failure(entry: LifecycleEntry, error: ErrorInfo) -> bytes:
    """One link of the task's failure chain (kept per attempt by the script)."""
    link = {
        "attempt": str(entry.attempt),
        "at": iso(entry.timestamp),
        "status": "RETRY" if entry.type is LifecycleEvent.RETRIED else "FAILURE",
        **error.fields(),
        "worker": entry.worker,
    }
    if entry.retry_in is not None:
        link["retry_in"] = f"{entry.retry_in:.3f}"
    return orjson.dumps(link)
