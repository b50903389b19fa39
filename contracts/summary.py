"""The summaries the worker produces (returned as the task result, stored, and carried
by ``summarization.completed``)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.types import Mode, Role

SUMMARY_SCHEMA_VERSION: Literal[1] = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpeakerStats(_Model):
    speaker: str
    role: Role
    turns: int = Field(ge=0)
    words: int = Field(ge=0)
    share: float = Field(ge=0.0, le=1.0, description="Share of all words spoken in the session.")


class SummarySource(_Model):
    session_id: str
    turns: int = Field(ge=0)
    words: int = Field(ge=0)
    content_hash: str = Field(description="sha256 of the session's turns; equal hash, same text.")


class SessionSummary(_Model):
    type: Literal["session"] = "session"
    schema_version: Literal[1] = SUMMARY_SCHEMA_VERSION
    mode: Mode
    overview: list[str] = Field(description="Whole sentences that carry the session, in order.")
    key_points: list[str]
    topics: list[str] = Field(description="Key phrases, most important first.")
    speakers: list[SpeakerStats]
    source: SummarySource
    engine: str
    engine_version: str


class TimelineEntry(_Model):
    session_id: str
    date: datetime | None
    mode: Mode
    gist: str


class TopicCount(_Model):
    topic: str
    count: int = Field(ge=1, description="Number of sessions the topic appears in.")


class ProfileCoverage(_Model):
    sessions: int = Field(ge=0)
    words: int = Field(ge=0)


class ProfileSummary(_Model):
    type: Literal["profile"] = "profile"
    schema_version: Literal[1] = SUMMARY_SCHEMA_VERSION
    candidate_id: str
    overview: list[str] = Field(description="A few sentences about the candidate.")
    recurring_topics: list[TopicCount]
    timeline: list[TimelineEntry]
    highlights: list[str]
    coverage: ProfileCoverage
    engine: str
    engine_version: str


Summary = Annotated[SessionSummary | ProfileSummary, Field(discriminator="type")]
