"""The LLM engine (``SUMMARIZER_ENGINE=llm``): any OpenAI-compatible chat endpoint.

Long transcripts are cut into chunks that fit ``LLM_CONTEXT_TOKENS`` (estimated at four
characters a token, half the window for the text), summarized one by one, then combined
(map-reduce). Prompts are files in ``prompts/``. The model's JSON answer fills the same
contracts as the built-in engine; speakers and source figures are computed here. A
malformed answer is asked for once more, then fails the task (``LLMAnswerInvalid``) or,
with ``SUMMARIZER_FALLBACK=extractive``, the built-in engine answers (its ``engine``
field says so).
"""

from collections.abc import Sequence
from importlib import resources
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError

from contracts.summary import ProfileSummary, SessionSummary
from contracts.types import Mode
from services.worker.summarizer.base import SessionSource, SessionWithSummary
from services.worker.summarizer.chat_client import ChatClient
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.sentences import eligible_turns
from services.worker.summarizer.stats import source_stats, speaker_stats
from shared.errors import PermanentTaskError
from shared.logging import get_logger

log = get_logger(__name__)

VERSION = "1.0"
CHARS_PER_TOKEN = 4
MODE_RULES = {
    Mode.SELF_REPORT: "Only the candidate speaks below: summarize what they say about themself.",
    Mode.INTERVIEW: "Questions are context; summarize what the candidate answers.",
    Mode.NOTES: "These are the interviewer's notes: summarize their assessment.",
}

AnswerT = TypeVar("AnswerT", bound=BaseModel)


class LLMAnswerInvalid(PermanentTaskError):
    """The model's answer could not be read as the summary asked for."""


class SessionAnswer(BaseModel):
    overview: list[str] = Field(min_length=1)
    key_points: list[str] = []
    topics: list[str] = []


class ProfileAnswer(BaseModel):
    overview: list[str] = Field(min_length=1)
    highlights: list[str] = []


def prompt(name: str, **values: str) -> str:
    template = resources.files("services.worker.summarizer").joinpath(f"prompts/{name}.txt")
    return template.read_text().format(**values)


def chunks(lines: Sequence[str], budget_tokens: int) -> list[str]:
    """Consecutive lines grouped to stay under the budget (a longer line is cut)."""
    budget = max(200, budget_tokens * CHARS_PER_TOKEN)
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line[:budget]
        if current and size + len(line) > budget:
            groups.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        groups.append("\n".join(current))
    return groups


class LLMSummarizer:
    name = "llm"

    def __init__(
        self, client: ChatClient, context_tokens: int, max_output_tokens: int, fallback: bool
    ) -> None:
        self._client = client
        self._budget = max(100, (context_tokens - max_output_tokens) // 2)
        self._fallback = ExtractiveSummarizer() if fallback else None
        self.version = f"{VERSION}+{client.model}"

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        lines = [f"{t.speaker or t.role.value}: {t.text}" for _, t in eligible_turns(source)]
        mode, rule = source.mode.value, MODE_RULES[source.mode]
        try:
            session = [
                prompt("session", mode=mode, mode_rule=rule, transcript=part)
                for part in chunks(lines, self._budget)
            ]
            parts = [self._ask(text, SessionAnswer) for text in session]
            answer = parts[0]
            if len(parts) > 1:
                partials = "\n".join(p.model_dump_json() for p in parts)
                combine = prompt("combine", mode=mode, mode_rule=rule, partials=partials)
                answer = self._ask(combine, SessionAnswer)
        except LLMAnswerInvalid:
            if self._fallback is None:
                raise
            log.warning("llm_answer_invalid_fallback", engine="extractive")
            return self._fallback.summarize_session(source)
        return SessionSummary(
            mode=source.mode,
            overview=answer.overview[:6],
            key_points=answer.key_points,
            topics=answer.topics,
            speakers=speaker_stats(source),
            source=source_stats(source),
            engine=self.name,
            engine_version=self.version,
        )

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        """Topics, timeline and coverage are counted locally; the model writes the prose."""
        base = ExtractiveSummarizer().summarize_profile(candidate_id, sessions)
        listing = "\n".join(
            s.summary.model_dump_json(include={"overview", "key_points"}) for s in sessions
        )
        try:
            answer = self._ask(prompt("profile", sessions=listing), ProfileAnswer)
        except LLMAnswerInvalid:
            if self._fallback is None:
                raise
            log.warning("llm_answer_invalid_fallback", engine="extractive")
            return base
        return base.model_copy(
            update={
                "overview": answer.overview,
                "highlights": answer.highlights[:6],
                "engine": self.name,
                "engine_version": self.version,
            }
        )

    def _ask(self, text: str, shape: type[AnswerT]) -> AnswerT:
        """The answer as ``shape``; a malformed answer is asked for once more."""
        error = ""
        for _ in range(2):
            raw = self._client.complete(text)
            try:
                return shape.model_validate(_json_object(raw))
            except (ValueError, ValidationError) as exc:
                error = str(exc).splitlines()[0][:200]
                log.warning("llm_answer_malformed", error=error)
        raise LLMAnswerInvalid(f"LLM answer could not be parsed: {error}")


def _json_object(raw: str) -> Any:
    """The JSON object in an answer (a Markdown code fence around it is tolerated)."""
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return orjson.loads(raw[start : end + 1])
