"""Topics across a candidate's sessions: which recur, and in how many sessions."""

from collections import Counter
from collections.abc import Sequence

from contracts.summary import TopicCount
from services.worker.summarizer.background import specificity
from services.worker.summarizer.base import NothingToSummarize, SessionWithSummary
from services.worker.summarizer.sentences import collect
from services.worker.summarizer.text import remove_fillers, stem, tokenize

MAX_TOPICS = 12
MIN_MENTIONS = 1
"""Mentions in a session's text that count the topic for that session."""

Key = tuple[str, ...]


def topic_key(topic: str) -> Key:
    return tuple(stem(t) for t in tokenize(topic))


def recurring_topics(sessions: Sequence[SessionWithSummary]) -> list[TopicCount]:
    """Every session topic with the number of sessions it appears in, most sessions first.

    A topic appears in a session that lists it (or a phrase containing it) among its
    topics, or that mentions it at least ``MIN_MENTIONS`` times in the text its mode reads.
    Ties in count go to topics ranked high in their sessions, specific words and phrases.
    """
    shown: dict[Key, str] = {}
    rank_score: dict[Key, float] = {}
    for session in sessions:
        for rank, topic in enumerate(session.summary.topics):
            key = topic_key(topic)
            if key:
                shown.setdefault(key, topic)
                rank_score[key] = rank_score.get(key, 0.0) + 1.0 / (rank + 1)
    listed = [[topic_key(t) for t in s.summary.topics] for s in sessions]
    mentions = [_ngram_counts(s) for s in sessions]
    counts = {
        key: sum(
            1
            for keys, said in zip(listed, mentions, strict=True)
            if said[key] >= MIN_MENTIONS or any(_within(key, other) for other in keys)
        )
        for key in shown
    }
    weight = {k: rank_score[k] * _specificity(shown[k]) for k in shown}
    ranked = sorted(shown, key=lambda k: (-counts[k], -weight[k], shown[k].lower()))
    kept: list[Key] = []
    for key in ranked:
        if not any(set(key) <= set(k) or set(k) <= set(key) for k in kept):
            kept.append(key)
    return [TopicCount(topic=shown[k], count=max(1, counts[k])) for k in kept[:MAX_TOPICS]]


def _specificity(topic: str) -> float:
    """Specific words and longer phrases first: "stakeholder management" before "product"."""
    words = tokenize(topic)
    return sum(specificity(w) for w in words) / len(words) * (1 + 0.5 * (len(words) - 1))


def _within(key: Key, other: Key) -> bool:
    """``key`` is a contiguous part of ``other``."""
    size = len(key)
    return any(other[i : i + size] == key for i in range(len(other) - size + 1))


def _ngram_counts(session: SessionWithSummary, longest: int = 3) -> Counter[Key]:
    try:
        sentences = collect(session.source)
    except NothingToSummarize:
        return Counter()
    counts: Counter[Key] = Counter()
    for sentence in sentences:
        stems = [stem(t) for t in tokenize(remove_fillers(sentence.text))]
        for size in range(1, longest + 1):
            for i in range(len(stems) - size + 1):
                counts[tuple(stems[i : i + size])] += 1
    return counts
