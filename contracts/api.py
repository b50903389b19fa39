"""HTTP request and response bodies of the gateway (the integration guide's API)."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.events import TaskError
from contracts.status import TaskStatus
from contracts.summary import Summary
from contracts.types import Identifier, Kind, Mode, Role, TurnText


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummarizeSessionRequest(_Body):
    session_id: Identifier
    candidate_id: Identifier
    mode: Mode = Mode.SELF_REPORT


class SummarizeProfileRequest(_Body):
    candidate_id: Identifier


class TaskAccepted(BaseModel):
    """202 body: the task is on its way."""

    task_id: str
    status: Literal["INITIATED"] = "INITIATED"
    message: str


class ErrorDetail(TaskError):
    pass


class TaskStatusResponse(BaseModel):
    """Status of one task, from the status view."""

    task_id: str
    status: TaskStatus
    message: str
    error: str | None = None
    error_detail: ErrorDetail | None = None
    kind: Kind | None = None
    candidate_id: str | None = None
    session_id: str | None = None
    mode: Mode | None = None
    attempts: int = Field(
        default=0, description="Attempts of the task so far, those before a redrive included."
    )
    redrives: int = Field(default=0, description="Times the task was redriven.")
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    summary: Summary | None = None


class TaskStatusChange(BaseModel):
    """One change of a task's status: a ``change`` event of its status event stream, an
    entry of the status-changes stream."""

    task_id: str
    transition: str = Field(
        description="accept, refuse, start, retry, succeed, fail, revoke or redrive"
    )
    status: TaskStatus = Field(description="The status the transition led to.")
    ts: float = Field(description="When the step happened, epoch seconds.")
    attempt: int | None = Field(default=None, description="The attempt it belongs to.")


class TurnIn(_Body):
    role: Role
    speaker: str = Field(default="", max_length=200)
    text: TurnText


class SessionCreate(_Body):
    """POST /sessions: an interview session with its ordered turns."""

    session_id: Identifier | None = Field(default=None, description="Minted when absent.")
    candidate_id: Identifier
    candidate_name: str | None = Field(default=None, max_length=200)
    mode: Mode = Mode.SELF_REPORT
    title: str | None = Field(default=None, max_length=300)
    occurred_at: AwareDatetime | None = None
    turns: list[TurnIn] = Field(min_length=1, max_length=5_000)


class SessionOut(BaseModel):
    session_id: str
    candidate_id: str
    mode: Mode
    title: str | None
    occurred_at: datetime | None
    created_at: datetime
    content_hash: str
    word_count: int
    turns: list[TurnIn]
