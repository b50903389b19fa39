"""Event, task and API contracts of the summarization services.

Depends on pydantic alone, so any service on the platform can import it to publish
or consume the events without pulling in the summarization services themselves.
"""

from contracts.api import (
    ErrorDetail,
    SessionCreate,
    SessionOut,
    SummarizeProfileRequest,
    SummarizeSessionRequest,
    TaskAccepted,
    TaskStatusChange,
    TaskStatusResponse,
    TurnIn,
)
from contracts.events import (
    SCHEMA_VERSION,
    SummarizationCompleted,
    SummarizationFailed,
    SummarizationRequested,
    TranscriptTurn,
)
from contracts.status import TaskStatus
from contracts.streams import Streams
from contracts.summary import (
    Evidence,
    FactKind,
    ProfileFact,
    ProfileSummary,
    SessionFacts,
    SessionSummary,
    SpeakerStats,
)
from contracts.types import Kind, Mode, Role

__all__ = [
    "SCHEMA_VERSION",
    "ErrorDetail",
    "Evidence",
    "FactKind",
    "Kind",
    "Mode",
    "ProfileFact",
    "ProfileSummary",
    "Role",
    "SessionCreate",
    "SessionFacts",
    "SessionOut",
    "SessionSummary",
    "SpeakerStats",
    "Streams",
    "SummarizationCompleted",
    "SummarizationFailed",
    "SummarizationRequested",
    "SummarizeProfileRequest",
    "SummarizeSessionRequest",
    "TaskAccepted",
    "TaskStatus",
    "TaskStatusChange",
    "TaskStatusResponse",
    "TranscriptTurn",
    "TurnIn",
]
