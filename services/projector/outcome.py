"""What a terminal lifecycle entry makes: its outcome event and, for a failure worth a
redrive, its dead letter. Built from the entry alone (never from the status record)."""

from collections.abc import Mapping
from typing import Any

from contracts.events import SummarizationCompleted, SummarizationFailed, TaskError
from contracts.status import TaskStatus
from shared.dead_letters import dead_letter
from shared.lifecycle import ErrorInfo, LifecycleEntry
from shared.task_state.changes import iso, trace_fields

Outcome = SummarizationCompleted | SummarizationFailed

TIMEOUTS = frozenset({"TaskTimedOut", "TimeLimitExceeded"})


def task_error(error: ErrorInfo) -> TaskError:
    return TaskError(type=error.type, message=error.message, retryable=not error.permanent)


def _common(entry: LifecycleEntry) -> dict[str, Any]:
    facts = entry.facts
    if facts is None:  # an entry of a worker that predates facts: the reconciler's then
        raise ValueError(f"terminal entry without the task's request: {entry.task_id}")
    return {
        "task_id": entry.task_id,
        "tenant": facts.tenant or None,
        "kind": facts.kind,
        "candidate_id": facts.candidate_id or None,
        "session_id": facts.session_id or None,
        "mode": facts.mode or None,
        "attempts": entry.attempt if entry.started_at else 0,
        "started_at": entry.started_at or None,
        "finished_at": iso(entry.timestamp),
    }


def completed(entry: LifecycleEntry, summary: Any) -> SummarizationCompleted:
    return SummarizationCompleted.model_validate({**_common(entry), "summary": summary})


def failed(entry: LifecycleEntry, status: TaskStatus, error: TaskError) -> SummarizationFailed:
    return SummarizationFailed.model_validate(
        {**_common(entry), "status": status.value, "error": error}
    )


def needs_dead_letter(error: TaskError) -> bool:
    """Retries exhausted on a transient error, or a time limit: worth a redrive.

    Permanent input errors (missing session, invalid input) are answered by the failure
    event alone: redriving them unchanged cannot succeed.
    """
    return error.retryable or error.type in TIMEOUTS


def original_request(entry: LifecycleEntry, meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``summarization.requested`` event as it reached the worker (for redrive): the
    entry names the request, the result backend keeps its arguments (the transcript)."""
    kwargs = (meta or {}).get("kwargs") or {}
    facts = entry.facts
    event = {
        "task_id": entry.task_id,
        "tenant": (facts.tenant if facts else "") or kwargs.get("tenant"),
        "kind": facts.kind if facts else None,
        "candidate_id": (facts.candidate_id if facts else "") or kwargs.get("candidate_id"),
        "session_id": (facts.session_id if facts else "") or kwargs.get("session_id"),
        "mode": (facts.mode if facts else "") or kwargs.get("mode"),
        "transcript": kwargs.get("transcript"),
    }
    return {k: v for k, v in event.items() if v}


def task_dead_letter(
    entry: LifecycleEntry, error: TaskError, meta: Mapping[str, Any] | None
) -> dict[str, str]:
    """A dead letter of the tasks DLQ; the transition script adds its failure chain
    (``errors``) and the request's ``idempotency_key`` from the record."""
    why = "time limit exceeded" if error.type in TIMEOUTS else "retries exhausted"
    fields = dead_letter(
        reason=f"{why}: {error.type}: {error.message}",
        payload=original_request(entry, meta),
        source=str((meta or {}).get("queue") or "celery"),
        service="projector",
        extra={
            "task_id": entry.task_id,
            "attempts": entry.attempt,
            "trace_id": trace_fields(entry.traceparent)["trace_id"],
        },
    )
    del fields["errors"]
    return fields
