"""A refused request that names a usable task id ends that task as FAILURE.

Its publisher then learns the outcome where it learns a good request's: the status
record (instead of 404 UNKNOWN) and one ``summarization.failed`` event whose error is
``InvalidRequest`` with the dead letter's reason. The failure event describes the task
with what of the request is valid: its kind as given, else ``session`` when it names a
session, else ``profile``.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from contracts.events import SummarizationFailed, TaskError
from contracts.types import DEFAULT_TENANT, Identifier, Kind, Mode, Tenant
from shared.envelope import event_envelope
from shared.task_state import Change, refuse
from shared.task_state.changes import trace_fields

ERROR_TYPE = "InvalidRequest"

T = TypeVar("T")

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)
_TENANT: TypeAdapter[str] = TypeAdapter(Tenant)


def usable_task_id(body: Any) -> str | None:
    """The request's task id when it is one (else the request names no task)."""
    return _valid(_IDENTIFIER, body.get("task_id")) if isinstance(body, dict) else None


def rejection(
    body: Mapping[str, Any], task_id: str, reason: str, headers: Mapping[str, str]
) -> Change:
    """The FAILURE of a refused request's task, with its failure event."""
    session_id = _valid(_IDENTIFIER, body.get("session_id"))
    kind = _valid(TypeAdapter(Kind), body.get("kind")) or (
        Kind.SESSION if session_id else Kind.PROFILE
    )
    mode = _valid(TypeAdapter(Mode), body.get("mode")) if kind is Kind.SESSION else None
    error = TaskError(type=ERROR_TYPE, message=reason, retryable=False)
    tenant = _valid(_TENANT, body.get("tenant")) or DEFAULT_TENANT
    event = SummarizationFailed(
        task_id=task_id,
        tenant=tenant,
        kind=kind,
        candidate_id=_valid(_IDENTIFIER, body.get("candidate_id")),
        session_id=session_id,
        mode=mode,
        attempts=0,
        finished_at=datetime.now(UTC),
        error=error,
    )
    traceparent = str(headers.get("traceparent") or "")
    request = {
        "tenant": tenant,
        "kind": kind.value,
        "candidate_id": event.candidate_id or "",
        "session_id": session_id or "",
        "mode": mode.value if mode else "",
        **trace_fields(traceparent),
    }
    error_fields = {"error": reason, "error_type": ERROR_TYPE, "retryable": "0"}
    outcome = event_envelope(event, {"traceparent": traceparent} if traceparent else {})
    return refuse(task_id, request, error_fields, outcome)


def _valid(adapter: TypeAdapter[T], value: Any) -> T | None:
    try:
        return adapter.validate_python(value) if value is not None else None
    except ValidationError:
        return None
