"""The built-in engine: extractive, deterministic, offline."""

from collections.abc import Sequence

from contracts.summary import ProfileSummary, SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer.base import SessionSource, SessionWithSummary
from services.worker.summarizer.facts.extract import extract
from services.worker.summarizer.keyphrases import key_phrases
from services.worker.summarizer.keypoints import key_point
from services.worker.summarizer.lead import lead
from services.worker.summarizer.profile import summarize_profile
from services.worker.summarizer.selection import select, term_weights
from services.worker.summarizer.sentences import Sentence, collect
from services.worker.summarizer.stats import source_stats, speaker_stats

VERSION = "3.0"
LEGACY_VERSION = "2.0"
MAX_KEY_POINTS = 8
MAX_TOPICS = 10
_INTERVIEWER_TOPIC_WEIGHT = 0.5


class ExtractiveSummarizer:
    """Facts with their evidence (cue lexicons, numbers, corrections), an overview and key
    points that lead with them, central whole sentences (LexRank + MMR) and key phrases.

    SELF_REPORT reads the candidate's turns only; INTERVIEW reads the whole exchange but
    quotes answers (and the offer's terms the interviewer states); NOTES reads every turn.
    """

    name = "extractive"
    version = VERSION

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        sentences = collect(source)
        chosen = select(sentences, source.mode)
        extraction = extract(source)
        overview, key_points = lead(sentences, chosen, extraction)
        return SessionSummary(
            mode=source.mode,
            overview=overview,
            key_points=key_points,
            topics=key_phrases(_topic_texts(sentences, source.mode), MAX_TOPICS),
            speakers=speaker_stats(source),
            source=source_stats(source),
            engine=self.name,
            engine_version=self.version,
            facts=extraction.facts,
        )

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        return summarize_profile(candidate_id, sessions, engine=self.name, version=self.version)


class LegacyExtractiveSummarizer:
    """The engine before the fact layer: central sentences, compressed key points, key
    phrases; kept so the evaluation shows what the fact layer changed."""

    name = "extractive-legacy"
    version = LEGACY_VERSION

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        sentences = collect(source)
        chosen = select(sentences, source.mode)
        return SessionSummary(
            mode=source.mode,
            overview=[sentences[i].text for i in chosen.overview],
            key_points=_key_points([sentences[i] for i in chosen.ranked], sentences),
            topics=key_phrases(_topic_texts(sentences, source.mode), MAX_TOPICS),
            speakers=speaker_stats(source),
            source=source_stats(source),
            engine=self.name,
            engine_version=self.version,
        )

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        return summarize_profile(candidate_id, sessions, engine=self.name, version=self.version)


def _key_points(ranked: Sequence[Sentence], sentences: Sequence[Sentence]) -> list[str]:
    weights = term_weights(sentences)
    points: list[str] = []
    seen: set[str] = set()
    for sentence in ranked:
        point = key_point(sentence.text, lambda term: weights.get(term, 0.0))
        if point.lower() not in seen:
            seen.add(point.lower())
            points.append(point)
        if len(points) == MAX_KEY_POINTS:
            break
    return points


def _topic_texts(sentences: Sequence[Sentence], mode: Mode) -> list[tuple[str, float]]:
    def weight(sentence: Sentence) -> float:
        asked = mode is Mode.INTERVIEW and sentence.role is Role.INTERVIEWER
        return _INTERVIEWER_TOPIC_WEIGHT if asked else 1.0

    return [(s.text, weight(s)) for s in sentences]
