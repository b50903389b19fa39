"""The model's JSON answer into typed answers; anything else raises ``MalformedAnswer``.

Lenient about the wrapping (a ```json fence, words around the object), strict about the
content: the fields must be there with the right types (no coercion of a string into a
list), and an overview must keep at least one sentence once blanks are dropped.
"""

import json
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.worker.summarizer.llm.errors import MalformedAnswer

MAX_OVERVIEW = 6
MAX_KEY_POINTS = 8
MAX_TOPICS = 10
MAX_HIGHLIGHTS = 6
MAX_FACTS = 6
"""Items per list of facts in one answer."""
_LIMITS = {
    "overview": MAX_OVERVIEW,
    "key_points": MAX_KEY_POINTS,
    "topics": MAX_TOPICS,
    "highlights": MAX_HIGHLIGHTS,
}
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def _tidy_field(cls: type[BaseModel], items: list[str], info: ValidationInfo) -> list[str]:
    """Each list field tidied and capped; an overview must keep a sentence."""
    tidy = _clean(items, _LIMITS[info.field_name or ""])
    if info.field_name == "overview" and not tidy:
        raise ValueError("overview has no sentence")
    return tidy


def _clean(items: list[str], limit: int) -> list[str]:
    """Stripped, non-blank, first occurrence of each (case-insensitive), at most ``limit``."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        text = " ".join(item.split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out[:limit]


class FactItem(_Answer):
    """A fact as the model states it: ``turn`` is the number the transcript sent shows."""

    value: str
    turn: int
    quote: str

    @field_validator("value", "quote")
    @classmethod
    def _said(cls, text: str) -> str:
        text = " ".join(text.split())
        if not text:
            raise ValueError("is blank")
        return text


class AchievementItem(FactItem):
    direction: Literal["up", "down"] | None = None


class ConstraintItem(FactItem):
    kind: Literal["location", "notice", "authorization", "compensation", "availability", "remote"]


def _cap_facts(cls: type[BaseModel], items: list[FactItem]) -> list[FactItem]:
    return items[:MAX_FACTS]


class FactsAnswer(_Answer):
    """The lists of ``contracts.summary.SessionFacts``; a list left out is empty."""

    role: list[FactItem] = Field(default_factory=list)
    experience: list[FactItem] = Field(default_factory=list)
    achievements: list[AchievementItem] = Field(default_factory=list)
    motivation: list[FactItem] = Field(default_factory=list)
    reason_for_leaving: list[FactItem] = Field(default_factory=list)
    constraints: list[ConstraintItem] = Field(default_factory=list)
    skills: list[FactItem] = Field(default_factory=list)
    statements: list[FactItem] = Field(default_factory=list)

    _cap = field_validator("*")(_cap_facts)


class SessionAnswer(_Answer):
    overview: Annotated[list[str], Field(min_length=1)]
    key_points: list[str]
    topics: list[str]
    facts: FactsAnswer = Field(default_factory=FactsAnswer)
    """Asked for from each chunk of a transcript; a combining answer has none."""

    _tidy = field_validator("overview", "key_points", "topics")(_tidy_field)

    def prose(self) -> list[str]:
        """The sentences and phrases the model wrote."""
        return [*self.overview, *self.key_points]

    def labels(self) -> list[str]:
        """The short names it gave: topics, facts' values (a quote is checked on its own)."""
        return [*self.topics, *(item.value for _, items in self.facts for item in items)]


class TopicAnswer(_Answer):
    topic: str = Field(min_length=1)
    sessions: int = Field(ge=1)


class ProfileAnswer(_Answer):
    overview: Annotated[list[str], Field(min_length=1)]
    recurring_topics: list[TopicAnswer]
    highlights: list[str]

    _tidy = field_validator("overview", "highlights")(_tidy_field)

    def prose(self) -> list[str]:
        return [*self.overview, *self.highlights]

    def labels(self) -> list[str]:
        return [t.topic for t in self.recurring_topics]


Answer = TypeVar("Answer", bound=_Answer)


def parse_session(text: str) -> SessionAnswer:
    """A session (or chunk) summary: ``{"overview", "key_points", "topics"}``."""
    return _parse(text, SessionAnswer)


def parse_profile(text: str) -> ProfileAnswer:
    """A profile: ``{"overview", "recurring_topics": [{"topic", "sessions"}], "highlights"}``."""
    return _parse(text, ProfileAnswer)


def _parse(text: str, model: type[Answer]) -> Answer:
    try:
        return model.model_validate(_json_object(text))
    except ValidationError as exc:
        raise MalformedAnswer(_describe(exc)) from None


def _json_object(text: str) -> dict[str, Any]:
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise MalformedAnswer("no JSON object in the answer")
    try:
        value = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(value, dict):
        raise MalformedAnswer("the JSON is not an object")
    return value


def _describe(exc: ValidationError) -> str:
    """The first few problems as ``field: message``, e.g. ``overview: Field required``."""
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}"
        for error in exc.errors()[:3]
    ]
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f" (+{more} more)" if more > 0 else "")
