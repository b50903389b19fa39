"""``LLMSummarizer``: the ``Summarizer`` protocol over an OpenAI-compatible model.

The model writes the text (overview, key points, topics; a profile's overview, recurring
topics and highlights) and a session's facts, each quoted from the turn it cites; counts,
sources, the timeline and a profile's facts (from its sessions' facts) are computed here,
as in the built-in engine. An answer that is
malformed or not grounded in its material (see ``grounding``) is asked for again once;
one that stays so fails the call with ``LLMAnswerInvalid``, or, given a ``fallback``
engine, is summarized by that engine instead (its name and version then mark the summary).
"""

from collections.abc import Sequence
from typing import Any

from contracts.summary import (
    ProfileCoverage,
    ProfileSummary,
    SessionSummary,
    TimelineEntry,
    TopicCount,
)
from services.worker.settings import WorkerSettings
from services.worker.summarizer.base import (
    NothingToSummarize,
    SessionSource,
    SessionWithSummary,
    Summarizer,
)
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import prompts
from services.worker.summarizer.llm.asking import Asker
from services.worker.summarizer.llm.chunking import Budget
from services.worker.summarizer.llm.client import ChatClient
from services.worker.summarizer.llm.errors import LLMAnswerInvalid
from services.worker.summarizer.llm.parsing import ProfileAnswer
from services.worker.summarizer.llm.profile import ordered, profile_answer
from services.worker.summarizer.llm.session import session_answer
from services.worker.summarizer.profile import NO_SESSIONS, gist
from services.worker.summarizer.profile_facts import profile_facts
from services.worker.summarizer.stats import source_stats, speaker_stats
from shared.logging import get_logger

log = get_logger(__name__)

VERSION = "2.0"
"""2.0: the fact layer (schema version 2) and the grounding checks."""
MIN_DATA_TOKENS = 256
"""The least room for material a request must leave once prompts and the answer fit."""
TEMPLATES = ("session_map", "session_reduce", "profile", "profile_reduce")


class LLMSummarizer:
    """Map-reduce summaries by a chat model; ``version`` names the model too."""

    name = "llm"

    def __init__(
        self, client: ChatClient, budget: Budget, fallback: Summarizer | None = None
    ) -> None:
        for template in TEMPLATES:
            if budget.data_tokens(prompts.overhead(template)) < MIN_DATA_TOKENS:
                raise ValueError(
                    "LLM_CONTEXT_TOKENS is too small for the prompts plus LLM_MAX_OUTPUT_TOKENS;"
                    f" raise it or lower LLM_MAX_OUTPUT_TOKENS ({template!r} needs"
                    f" {MIN_DATA_TOKENS} tokens of room)"
                )
        self.version = f"{VERSION}+{client.model}"
        self.budget = budget
        self.client = client
        self.fallback = fallback
        self._ask = Asker(client, budget.max_output_tokens)

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> "LLMSummarizer":
        """The engine the ``LLM_*`` and ``SUMMARIZER_FALLBACK`` settings describe."""
        if not settings.llm_base_url or not settings.llm_model:
            raise ValueError("the llm engine needs LLM_BASE_URL and LLM_MODEL")
        client = ChatClient(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            timeout=settings.llm_timeout_seconds,
            response_format=settings.response_format,
        )
        budget = Budget(settings.llm_context_tokens, settings.llm_max_output_tokens)
        fallback = ExtractiveSummarizer() if settings.summarizer_fallback == "extractive" else None
        return cls(client, budget, fallback)

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        try:
            answer, facts = session_answer(self._ask, source, self.budget)
        except LLMAnswerInvalid as exc:
            fallback = self._fallback_for(exc, session_id=source.session_id)
            return fallback.summarize_session(source)
        return SessionSummary(
            mode=source.mode,
            overview=answer.overview,
            key_points=answer.key_points,
            topics=answer.topics,
            facts=facts,
            speakers=speaker_stats(source),
            source=source_stats(source),
            engine=self.name,
            engine_version=self.version,
        )

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        if not sessions:
            raise NothingToSummarize(NO_SESSIONS)
        facts = profile_facts(ordered(sessions))
        try:
            answer = profile_answer(self._ask, sessions, self.budget, facts.superseded)
        except LLMAnswerInvalid as exc:
            fallback = self._fallback_for(exc, candidate_id=candidate_id)
            return fallback.summarize_profile(candidate_id, sessions)
        return ProfileSummary(
            candidate_id=candidate_id,
            overview=answer.overview,
            recurring_topics=_topic_counts(answer, len(sessions)),
            timeline=[_entry(s) for s in ordered(sessions)],
            highlights=answer.highlights,
            coverage=ProfileCoverage(
                sessions=len(sessions), words=sum(s.summary.source.words for s in sessions)
            ),
            engine=self.name,
            engine_version=self.version,
            facts=facts.facts,
        )

    def close(self) -> None:
        """Close the HTTP connections (the engine stays usable: they reopen on use)."""
        self.client.close()

    def _fallback_for(self, exc: LLMAnswerInvalid, **about: Any) -> Summarizer:
        if self.fallback is None:
            raise exc
        log.warning("llm_fallback", error=str(exc), fallback=self.fallback.name, **about)
        return self.fallback


def _topic_counts(answer: ProfileAnswer, sessions: int) -> list[TopicCount]:
    """The model's topics, deduplicated, counts capped at the number of sessions,
    most sessions first (the model's order breaks ties)."""
    counts: dict[str, TopicCount] = {}
    for item in answer.recurring_topics:
        topic = " ".join(item.topic.split())
        if topic and topic.lower() not in counts:
            counts[topic.lower()] = TopicCount(topic=topic, count=min(item.sessions, sessions))
    return sorted(counts.values(), key=lambda t: -t.count)


def _entry(session: SessionWithSummary) -> TimelineEntry:
    summary = session.summary
    return TimelineEntry(
        session_id=session.source.session_id,
        date=session.source.occurred_at,
        mode=summary.mode,
        gist=gist(summary.overview, summary.topics),
    )
