"""A transition to apply to one task's record, and those the gateway, the dispatcher and
redrive make (the projector makes the rest: ``services.projector.handlers``)."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from contracts.events import SummarizationRequested
from contracts.status import TaskStatus
from contracts.types import DEFAULT_TENANT, Kind
from shared.task_state.names import TransitionName


def iso(ts: float | None = None) -> str:
    moment = datetime.fromtimestamp(ts, UTC) if ts is not None else datetime.now(UTC)
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class Change:
    name: TransitionName
    task_id: str
    timestamp: float
    """When it happened (epoch seconds): orders the non-terminal transitions."""
    fields: Mapping[str, str] = field(default_factory=dict)
    """Set on the record (``created_at`` only when the record is created)."""
    attempt: int | None = None
    outcome: bytes = b""
    """The outcome event's envelope: published once, with the terminal transition."""
    dead_letter: Mapping[str, str] | None = None
    """Its ``errors`` (the failure chain) and ``idempotency_key`` are the script's."""
    failure: bytes = b""
    """This attempt's failure (a JSON object), a link of the chain, kept per attempt."""

    @property
    def status(self) -> TaskStatus:
        return self.name.target


def trace_fields(traceparent: str) -> dict[str, str]:
    """The record's trace fields: the projector's update joins this trace."""
    trace_id = traceparent.split("-")[1] if traceparent.count("-") == 3 else ""
    return {"traceparent": traceparent, "trace_id": trace_id}


def accept(event: SummarizationRequested, traceparent: str = "") -> Change:
    """Record a request as PENDING unless its record exists (or its task was sent)."""
    now = time.time()
    fields = {
        "task_id": event.task_id,
        "tenant": event.tenant or DEFAULT_TENANT,
        "kind": event.kind.value,
        "candidate_id": event.candidate_id,
        "session_id": event.session_id or "",
        "mode": event.mode.value if event.kind is Kind.SESSION else "",
        "idempotency_key": event.idempotency_key or "",
        **trace_fields(traceparent),
        "attempts": "0",
        "created_at": iso(now),
        "updated_at": iso(now),
    }
    return Change(TransitionName.ACCEPT, event.task_id, now, _set(fields))


def refuse(
    task_id: str, request: Mapping[str, str], error: Mapping[str, str], outcome: bytes
) -> Change:
    """The task of a request the dispatcher refused ends FAILURE (``request``: the
    record's request fields; ``error``: its error fields), unless it was already sent."""
    now = time.time()
    fields = {
        "task_id": task_id,
        **request,
        **error,
        "attempts": "0",
        "created_at": iso(now),
        "updated_at": iso(now),
        "finished_at": iso(now),
        "projected_at": repr(now),
    }
    return Change(TransitionName.REFUSE, task_id, now, _set(fields), outcome=outcome)


def redrive(task_id: str) -> Change:
    """A finished task goes back to PENDING to be run again; its attempts and failure
    chain stay, and ``redrives`` counts one more."""
    now = time.time()
    fields = {"task_id": task_id, "updated_at": iso(now)}
    return Change(TransitionName.REDRIVE, task_id, now, fields)


def _set(fields: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in fields.items() if value != ""}
