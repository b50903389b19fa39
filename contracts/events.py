"""Stream events: ``summarization.requested`` in, ``summarization.completed`` /
``summarization.failed`` out.

Every event carries ``event_id``, ``schema_version`` and ``occurred_at``. A consumer
must check ``schema_version``: a version it does not know is not its to guess at.
"""

from datetime import UTC, datetime
from typing import Literal
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.summary import Summary
from contracts.types import DEFAULT_TENANT, Attempts, Identifier, Kind, Mode, Role, Tenant, TurnText

SCHEMA_VERSION: Literal[1] = 1


def _new_id() -> str:
    return str(uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: Identifier = Field(default_factory=_new_id)
    schema_version: Literal[1] = SCHEMA_VERSION
    occurred_at: AwareDatetime = Field(default_factory=_now)


class TranscriptTurn(BaseModel):
    """One turn of an inline transcript."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    speaker: str = Field(default="", max_length=200)
    text: TurnText


class SummarizationRequested(_Event):
    """``summarization.requested`` v1: summarize a session or a candidate's profile."""

    task_id: Identifier = Field(description="Becomes the Celery task id; the caller polls it.")
    tenant: Tenant | None = Field(
        default=None,
        description=f"Who asks: owns the task, and its session and candidate ids are looked up"
        f" among this tenant's. Absent: {DEFAULT_TENANT!r} (internal producers).",
    )
    kind: Kind
    candidate_id: Identifier
    session_id: Identifier | None = Field(default=None, description="Required for kind=session.")
    mode: Mode = Mode.SELF_REPORT
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    transcript: list[TranscriptTurn] | None = Field(
        default=None,
        max_length=5_000,
        description="Inline turns; when absent the worker loads the session from the store.",
    )

    @model_validator(mode="after")
    def _session_fields(self) -> "SummarizationRequested":
        if self.kind is Kind.SESSION and self.session_id is None:
            raise ValueError("session_id is required when kind is 'session'")
        if self.kind is Kind.PROFILE and self.transcript is not None:
            raise ValueError("transcript is only allowed when kind is 'session'")
        return self


class _Outcome(_Event):
    task_id: Identifier
    tenant: Tenant | None = Field(default=None, description="The requesting tenant.")
    kind: Kind
    candidate_id: Identifier | None = None
    session_id: Identifier | None = None
    mode: Mode | None = None
    attempts: Attempts = 1
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None


class SummarizationCompleted(_Outcome):
    """``summarization.completed`` v1: the task succeeded; carries the summary."""

    summary: Summary


class TaskError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Exception class, e.g. SessionNotFound, TimeLimitExceeded.")
    message: str
    retryable: bool = False


class SummarizationFailed(_Outcome):
    """``summarization.failed`` v1: the task ended in FAILURE or was revoked."""

    status: Literal["FAILURE", "REVOKED"] = "FAILURE"
    error: TaskError
