"""The completion and failure events the projector publishes on terminal transitions."""

from collections.abc import Mapping
from typing import Any

import orjson

from contracts.events import SummarizationCompleted, SummarizationFailed, TaskError
from contracts.status import TaskStatus
from shared.dead_letters import dead_letter
from shared.envelope import event_envelope


def task_error(event: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> TaskError:
    """The error of a failed task: as the worker reported it in its lifecycle entry (type,
    message, whether it is permanent), else from the result backend (a repair). The
    backend's exception type and message do not say whether retrying could help: such an
    error is reported retryable, so it is dead-lettered and can be redriven."""
    if event.get("error_type"):
        return TaskError(
            type=str(event["error_type"]),
            message=str(event.get("error_message") or ""),
            retryable=event.get("permanent") != "1",
        )
    result = (meta or {}).get("result")
    if isinstance(result, dict) and result.get("exc_type"):
        message = result.get("exc_message")
        if isinstance(message, list | tuple):
            message = " ".join(str(m) for m in message)
        return TaskError(type=str(result["exc_type"]), message=str(message or ""), retryable=True)
    return TaskError(type="Error", message=str(event.get("exception") or ""), retryable=True)


def outcome_event(
    record: Mapping[str, str],
    status: TaskStatus,
    finished_at: str,
    summary: Any = None,
    error: TaskError | None = None,
) -> SummarizationCompleted | SummarizationFailed:
    common: dict[str, Any] = {
        "task_id": record["task_id"],
        "kind": record.get("kind") or ("profile" if not record.get("session_id") else "session"),
        "candidate_id": record.get("candidate_id") or None,
        "session_id": record.get("session_id") or None,
        "mode": record.get("mode") or None,
        "attempts": max(1, int(record.get("attempts") or 1)),
        "started_at": record.get("started_at") or None,
        "finished_at": finished_at,
    }
    if status is TaskStatus.SUCCESS:
        return SummarizationCompleted.model_validate({**common, "summary": summary})
    assert error is not None
    return SummarizationFailed.model_validate({**common, "status": status.value, "error": error})


def envelope(
    event: SummarizationCompleted | SummarizationFailed, headers: Mapping[str, str]
) -> bytes:
    return event_envelope(event, headers)


def summary_json(summary: Any) -> str:
    return orjson.dumps(summary).decode()


TIMEOUTS = frozenset({"TaskTimedOut", "TimeLimitExceeded"})


def needs_dead_letter(error: TaskError) -> bool:
    """Retries exhausted on a transient error, or a time limit: worth a redrive.

    Permanent input errors (missing session, invalid input) are answered by the failure
    event alone: redriving them unchanged cannot succeed.
    """
    return error.retryable or error.type in TIMEOUTS


def original_request(record: Mapping[str, str], meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``summarization.requested`` event as it reached the worker (for redrive)."""
    kwargs = (meta or {}).get("kwargs") or {}
    event = {
        "task_id": record["task_id"],
        "kind": record.get("kind") or "session",
        "candidate_id": record.get("candidate_id") or kwargs.get("candidate_id"),
        "session_id": record.get("session_id") or kwargs.get("session_id"),
        "mode": record.get("mode") or kwargs.get("mode"),
        "idempotency_key": record.get("idempotency_key"),
        "transcript": kwargs.get("transcript"),
    }
    return {k: v for k, v in event.items() if v}


def task_dead_letter(
    record: Mapping[str, str],
    error: TaskError,
    chain: list[dict[str, str]],
    meta: Mapping[str, Any] | None,
) -> dict[str, str]:
    why = "time limit exceeded" if error.type in TIMEOUTS else "retries exhausted"
    return dead_letter(
        reason=f"{why}: {error.type}: {error.message}",
        payload=original_request(record, meta),
        source=str((meta or {}).get("queue") or "celery"),
        service="projector",
        errors=chain,
        extra={
            "task_id": record["task_id"],
            "attempts": record.get("attempts") or "1",
            "trace_id": record.get("trace_id", ""),
        },
    )
