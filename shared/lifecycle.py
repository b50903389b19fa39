"""The task lifecycle entry: one step of one task, as the worker appends it to the
``STREAM_LIFECYCLE`` stream and the projector reads it (the one format both use).

The entries are the task events of this system, in the vocabulary of Celery's own
(``type``, ``uuid``, ``timestamp``, ``hostname``, ``retries``), delivered once and
durably. A terminal entry carries everything its outcome event needs, so the projector
never reads the status record to build it: the task's request (``kind``,
``candidate_id``, ``session_id``, ``mode``, ``tenant``), the attempt and when it started, and the
result (``result_json``) or the error as fields (``error_type``, ``error_message``,
``permanent``). Plain field/value pairs, readable with ``redis-cli XRANGE``.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.errors import is_permanent


class LifecycleEvent(StrEnum):
    STARTED = "task-started"
    RETRIED = "task-retried"
    SUCCEEDED = "task-succeeded"
    FAILED = "task-failed"
    REVOKED = "task-revoked"

    @property
    def is_terminal(self) -> bool:
        return self in (LifecycleEvent.SUCCEEDED, LifecycleEvent.FAILED, LifecycleEvent.REVOKED)


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What a task is about: its request, as the outcome event names it."""

    kind: str
    candidate_id: str = ""
    session_id: str = ""
    mode: str = ""
    tenant: str = ""
    """Whose request it is (empty from a worker that predates tenancy)."""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An error as data: its type, its message, and whether retrying cannot help."""

    type: str
    message: str
    permanent: bool = False

    @classmethod
    def of(cls, exc: BaseException) -> "ErrorInfo":
        """Permanence as the exception declares it (``shared.errors.is_permanent``)."""
        return cls(type(exc).__name__, str(exc), is_permanent(exc))

    def fields(self) -> dict[str, str]:
        return {
            "error_type": self.type,
            "error_message": self.message,
            "permanent": "1" if self.permanent else "0",
        }


@dataclass(frozen=True, slots=True)
class LifecycleEntry:
    type: LifecycleEvent
    task_id: str
    timestamp: float
    """When the step happened (the worker's clock): orders the non-terminal steps."""
    attempt: int = 1
    """The attempt's number, after a redriven task's earlier attempts."""
    retries: int = 0
    """Celery's retry count within this run (0 for a run's first attempt)."""
    worker: str = ""
    traceparent: str = ""
    """The task run's trace context: the projector's update is its child."""
    facts: TaskFacts | None = None
    """On ``task-started`` and terminal entries."""
    started_at: str = ""
    """On terminal entries: when the attempt started (ISO 8601), if it did."""
    result_json: str = ""
    """``task-succeeded``: the result, as JSON."""
    error: ErrorInfo | None = None
    """``task-retried`` and ``task-failed``."""
    retry_in: float | None = None
    """``task-retried``: seconds until the next attempt."""
    expired: bool = False
    """``task-revoked``: revoked because it expired."""

    def to_fields(self) -> dict[str, str]:
        fields = {
            "type": self.type.value,
            "uuid": self.task_id,
            "timestamp": repr(self.timestamp),
            "attempt": str(self.attempt),
            "retries": str(self.retries),
            "hostname": self.worker,
            "traceparent": self.traceparent,
            "started_at": self.started_at,
            "result_json": self.result_json,
            "expired": "1" if self.expired else "",
            "retry_in": f"{self.retry_in:.3f}" if self.retry_in is not None else "",
        }
        if self.facts is not None:
            fields.update(
                kind=self.facts.kind,
                candidate_id=self.facts.candidate_id,
                session_id=self.facts.session_id,
                mode=self.facts.mode,
                tenant=self.facts.tenant,
            )
        if self.error is not None:
            fields.update(self.error.fields())
        return {name: value for name, value in fields.items() if value}

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> "LifecycleEntry":
        """Raises ``ValueError`` (or ``KeyError``) for an entry that is not one."""
        get = fields.get
        kind = get("kind")
        error_type = get("error_type")
        return cls(
            type=LifecycleEvent(fields["type"]),
            task_id=str(fields["uuid"]),
            timestamp=float(fields["timestamp"]),
            attempt=int(get("attempt") or int(get("retries") or 0) + 1),
            retries=int(get("retries") or 0),
            worker=str(get("hostname") or ""),
            traceparent=str(get("traceparent") or ""),
            facts=TaskFacts(
                str(kind), str(get("candidate_id") or ""), str(get("session_id") or ""),
                str(get("mode") or ""), str(get("tenant") or ""),
            ) if kind else None,
            started_at=str(get("started_at") or ""),
            result_json=str(get("result_json") or ""),
            error=ErrorInfo(
                str(error_type), str(get("error_message") or ""), get("permanent") == "1"
            ) if error_type else None,
            retry_in=float(fields["retry_in"]) if get("retry_in") else None,
            expired=get("expired") == "1",
        )  # fmt: skip
