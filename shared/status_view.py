"""The status view: one Redis hash per task, the gateway's source of truth (read side).

Layout (``shared.keys.status``: ``KEY_PREFIX`` + ``task:`` + task id), strings:

    task_id tenant kind candidate_id session_id mode idempotency_key trace_id traceparent
    status      public status word (PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED)
    transition  the last transition applied (accept, start, retry, succeed, ...)
    ts          epoch seconds of the last applied step (ordering key)
    terminal    "1" once SUCCESS / FAILURE / REVOKED
    attempts redrives created_at started_at finished_at updated_at worker
    projected_at  epoch seconds when the projector wrote the terminal status
    error error_type retryable summary (the summary as JSON, on SUCCESS)

One writer: every change is a named transition of ``shared.task_state`` (one Lua
script). The record expires ``STATUS_TTL_SECONDS`` after its last change.
"""

from collections.abc import Mapping

import orjson
import redis.asyncio as aioredis

from contracts.api import ErrorDetail, TaskStatusResponse
from contracts.status import TaskStatus
from contracts.types import DEFAULT_TENANT
from shared import keys
from shared.task_state.changes import iso

__all__ = ["iso", "read_record", "to_response"]


def record_tenant(record: Mapping[str, str]) -> str:
    """Whose task a record is (records from before tenancy: the default tenant's)."""
    return record.get("tenant") or DEFAULT_TENANT


async def read_record(client: aioredis.Redis, prefix: str, task_id: str) -> dict[str, str] | None:
    record: dict[str, str] = await client.hgetall(keys.status(prefix, task_id))  # type: ignore[assignment]
    return record or None


def to_response(task_id: str, record: Mapping[str, str] | None) -> TaskStatusResponse:
    """The API view of a record; ``None`` is an id this system has never seen."""
    if record is None:
        return TaskStatusResponse(
            task_id=task_id,
            status=TaskStatus.UNKNOWN,
            message="Task not found: unknown task id, or its status has expired",
        )
    status = TaskStatus(record.get("status", "PENDING"))
    error_type = record.get("error_type")
    error = record.get("error")
    detail = (
        ErrorDetail(
            type=error_type or "Error",
            message=error or "",
            retryable=record.get("retryable") == "1",
        )
        if error
        else None
    )
    summary = orjson.loads(record["summary"]) if record.get("summary") else None
    return TaskStatusResponse.model_validate(
        {
            "task_id": task_id,
            "status": status,
            "message": f"Task status: {status.value}",
            "error": f"{error_type}: {error}" if error and error_type else error,
            "error_detail": detail,
            "kind": record.get("kind"),
            "candidate_id": record.get("candidate_id"),
            "session_id": record.get("session_id"),
            "mode": record.get("mode"),
            "attempts": int(record.get("attempts", "0")),
            "redrives": int(record.get("redrives", "0")),
            "created_at": record.get("created_at"),
            "started_at": record.get("started_at"),
            "finished_at": record.get("finished_at"),
            "updated_at": record.get("updated_at"),
            "summary": summary if status is TaskStatus.SUCCESS else None,
        }
    )
