"""The interface every summarization engine implements.

Engines are pure: they get the text, they return a contract model. Loading sessions,
storing summaries, retries and the rest belong to the task around them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts.summary import ProfileSummary, SessionSummary
from contracts.types import Mode, Role
from shared.content import content_hash
from shared.errors import NothingToSummarize

__all__ = ["NothingToSummarize", "SessionSource", "SessionWithSummary", "Summarizer", "Turn"]


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class SessionSource:
    session_id: str
    candidate_id: str
    mode: Mode
    turns: Sequence[Turn]
    occurred_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        """sha256 over the ordered turns: the same text gives the same hash."""
        return content_hash((t.role.value, t.speaker, t.text) for t in self.turns)


@dataclass(frozen=True, slots=True)
class SessionWithSummary:
    source: SessionSource
    summary: SessionSummary


class Summarizer(Protocol):
    name: str
    version: str

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        """Summarize one session in ``source.mode``; raise NothingToSummarize when empty."""
        ...

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        """Aggregate a candidate's sessions (each with its current summary)."""
        ...
