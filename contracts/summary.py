"""The summaries the worker produces (returned as the task result, stored, and carried
by ``summarization.completed``).

Schema versions:

* 1: the text layer (overview, key points, topics) and the counts.
* 2: adds ``facts``, a structured layer in which every item carries its evidence (the
  turn index and the exact quoted span of that turn's text). A v1 document still parses
  with the v2 models: ``schema_version`` 1 is accepted and ``facts`` defaults to empty
  (a v1 document may not carry facts). Engines write v2; a v2 summary whose engine found
  no facts (or does not extract them) has empty fact lists.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.types import Mode, Role

SUMMARY_SCHEMA_VERSION: Literal[2] = 2
SchemaVersion = Literal[1, 2]
"""The versions the models read; they write ``SUMMARY_SCHEMA_VERSION``."""


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


class FactKind(StrEnum):
    """What a fact is about."""

    ROLE = "role"
    EXPERIENCE = "experience"
    ACHIEVEMENT = "achievement"
    MOTIVATION = "motivation"
    REASON_FOR_LEAVING = "reason_for_leaving"
    LOCATION = "location"
    NOTICE = "notice"
    AUTHORIZATION = "authorization"
    COMPENSATION = "compensation"
    AVAILABILITY = "availability"
    REMOTE = "remote"
    SKILL = "skill"
    STATEMENT = "statement"


ConstraintKind = Literal[
    FactKind.LOCATION,
    FactKind.NOTICE,
    FactKind.AUTHORIZATION,
    FactKind.COMPENSATION,
    FactKind.AVAILABILITY,
    FactKind.REMOTE,
]


class Evidence(_Model):
    """Where the transcript says it: a reader (or a test) can check the quote."""

    turn: int = Field(ge=0, description="Index of the turn in the session's turns (from 0).")
    quote: str = Field(min_length=1, description="An exact substring of that turn's text.")
    speaker_role: Role = Field(
        description="Who said it (the interviewer only outside SELF_REPORT)."
    )


class Quantity(_Model):
    """A number as said, normalised: "forty-five minutes" -> 45 minute."""

    value: float
    high: float | None = Field(
        default=None, description='Upper end of a range ("120 to 140k"); value is the lower end.'
    )
    unit: str = Field(
        default="",
        description="Normalised unit: percent, minute, hour, day, week, month, year, USD, EUR,"
        " GBP, ... or the counted noun (beds, students); empty for a bare number.",
    )
    text: str = Field(min_length=1, description="The number as said: a span of the quote.")


class Fact(_Model):
    """One fact the transcript states; never a value the speaker corrected."""

    value: str = Field(
        min_length=1,
        description="The fact, short: a span of the quote or its normalised form"
        ' ("senior data scientist", "3 months", "Kafka").',
    )
    quantities: list[Quantity] = Field(default_factory=list)
    evidence: Evidence


class Achievement(Fact):
    direction: Literal["up", "down"] | None = Field(
        default=None, description="What changed: a figure raised (up) or cut (down), if said."
    )


class Constraint(Fact):
    kind: ConstraintKind


class SessionFacts(_Model):
    """The structured layer of a session summary, each list most important first."""

    role: list[Fact] = Field(default_factory=list, description="Titles, seniority, team led.")
    experience: list[Fact] = Field(default_factory=list, description="Years, domains.")
    achievements: list[Achievement] = Field(default_factory=list)
    motivation: list[Fact] = Field(default_factory=list, description="What they want next.")
    reason_for_leaving: list[Fact] = Field(default_factory=list)
    constraints: list[Constraint] = Field(default_factory=list)
    skills: list[Fact] = Field(default_factory=list)
    statements: list[Fact] = Field(
        default_factory=list, description="Strong statements made once, not covered above."
    )

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class SessionSummary(_Model):
    type: Literal["session"] = "session"
    schema_version: SchemaVersion = SUMMARY_SCHEMA_VERSION
    mode: Mode
    overview: list[str] = Field(description="Whole sentences that carry the session, in order.")
    key_points: list[str]
    topics: list[str] = Field(description="Key phrases, most important first.")
    speakers: list[SpeakerStats]
    source: SummarySource
    engine: str
    engine_version: str
    facts: SessionFacts = Field(
        default_factory=SessionFacts, description="Schema version 2; empty in version 1."
    )

    @model_validator(mode="after")
    def _facts_need_v2(self) -> "SessionSummary":
        if self.schema_version == 1 and not self.facts.is_empty():
            raise ValueError("facts need schema_version 2")
        return self


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


class SessionEvidence(Evidence):
    session_id: str


class ProfileFact(_Model):
    """A fact across a candidate's sessions: its newest value, and where it was said."""

    kind: FactKind
    value: str = Field(min_length=1)
    quantities: list[Quantity] = Field(default_factory=list)
    sessions: list[str] = Field(
        min_length=1, description="The sessions that state it, oldest first."
    )
    changed: bool = Field(
        default=False,
        description="An earlier session gave another value; this one is the newest.",
    )
    evidence: SessionEvidence = Field(description="Where the newest session says it.")


class ProfileSummary(_Model):
    type: Literal["profile"] = "profile"
    schema_version: SchemaVersion = SUMMARY_SCHEMA_VERSION
    candidate_id: str
    overview: list[str] = Field(description="A few sentences about the candidate.")
    recurring_topics: list[TopicCount]
    timeline: list[TimelineEntry]
    highlights: list[str]
    coverage: ProfileCoverage
    engine: str
    engine_version: str
    facts: list[ProfileFact] = Field(
        default_factory=list,
        description="Schema version 2: recurring facts first, then the rest by kind; a fact"
        " whose value changed between sessions carries only its newest value.",
    )

    @model_validator(mode="after")
    def _facts_need_v2(self) -> "ProfileSummary":
        if self.schema_version == 1 and self.facts:
            raise ValueError("facts need schema_version 2")
        return self


Summary = Annotated[SessionSummary | ProfileSummary, Field(discriminator="type")]
