"""A refused request that names a usable task id ends that task as FAILURE.

Its publisher then learns the outcome where it learns a good request's: the status
record (instead of 404 UNKNOWN) and one ``summarization.failed`` event whose error is
``InvalidRequest`` with the dead letter's reason. The failure event describes the task
with what of the request is valid: its kind as given, else ``session`` when it names a
session, else ``profile``.
"""

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from contracts.events import SummarizationFailed, TaskError
from contracts.status import TaskStatus
from contracts.types import Identifier, Kind, Mode
from shared.envelope import event_envelope
from shared.status_view import Transition, iso

ERROR_TYPE = "InvalidRequest"

T = TypeVar("T")

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def usable_task_id(body: Any) -> str | None:
    """The request's task id when it is one (else the request names no task)."""
    return _valid(_IDENTIFIER, body.get("task_id")) if isinstance(body, dict) else None


def rejection(
    body: Mapping[str, Any], task_id: str, reason: str, headers: Mapping[str, str], stream: str
) -> Transition:
    """The FAILURE transition of a refused request, with its failure event."""
    now = time.time()
    session_id = _valid(_IDENTIFIER, body.get("session_id"))
    kind = _valid(TypeAdapter(Kind), body.get("kind")) or (
        Kind.SESSION if session_id else Kind.PROFILE
    )
    mode = _valid(TypeAdapter(Mode), body.get("mode")) if kind is Kind.SESSION else None
    event = SummarizationFailed(
        task_id=task_id,
        kind=kind,
        candidate_id=_valid(_IDENTIFIER, body.get("candidate_id")),
        session_id=session_id,
        mode=mode,
        attempts=0,
        finished_at=datetime.fromtimestamp(now, UTC),
        error=TaskError(type=ERROR_TYPE, message=reason, retryable=False),
    )
    traceparent = str(headers.get("traceparent") or "")
    fields = {
        "task_id": task_id,
        "kind": kind.value,
        "candidate_id": event.candidate_id or "",
        "session_id": session_id or "",
        "mode": mode.value if mode else "",
        "traceparent": traceparent,
        "trace_id": traceparent.split("-")[1] if traceparent.count("-") == 3 else "",
        "state": "REJECTED",
        "attempts": "0",
        "created_at": iso(now),
        "updated_at": iso(now),
        "finished_at": iso(now),
        "projected_at": repr(now),
        "error": reason,
        "error_type": ERROR_TYPE,
        "retryable": "0",
    }
    return Transition(
        task_id,
        TaskStatus.FAILURE,
        now,
        {name: value for name, value in fields.items() if value},
        outcome_stream=stream,
        outcome_envelope=event_envelope(event, {"traceparent": traceparent} if traceparent else {}),
        may_create=True,
    )


def _valid(adapter: TypeAdapter[T], value: Any) -> T | None:
    try:
        return adapter.validate_python(value) if value is not None else None
    except ValidationError:
        return None
