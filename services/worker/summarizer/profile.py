"""A candidate's profile from their sessions' summaries: topics, timeline, highlights."""

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from contracts.summary import ProfileCoverage, ProfileSummary, TimelineEntry, TopicCount
from contracts.types import Mode
from services.worker.summarizer.background import stem_specificity
from services.worker.summarizer.base import NothingToSummarize, SessionWithSummary
from services.worker.summarizer.profile_facts import profile_facts
from services.worker.summarizer.rank import lexrank, mmr, tfidf
from services.worker.summarizer.recurring import recurring_topics, topic_key
from services.worker.summarizer.text import is_content, stem, tokenize

NO_SESSIONS = "candidate has no sessions to summarize"
MAX_HIGHLIGHTS = 6
GIST_CHARS = 160
_MODE_NAMES = {
    Mode.SELF_REPORT: "self-report",
    Mode.INTERVIEW: "interview",
    Mode.NOTES: "notes session",
}


def summarize_profile(
    candidate_id: str, sessions: Sequence[SessionWithSummary], *, engine: str, version: str
) -> ProfileSummary:
    """Recurring topics, a dated timeline, central highlights and a short overview."""
    if not sessions:
        raise NothingToSummarize(NO_SESSIONS)
    ordered = sorted(sessions, key=lambda s: _sort_date(s.source.occurred_at))
    facts = profile_facts(ordered)
    current = Current(facts.superseded)
    topics = [t for t in recurring_topics(ordered) if current([t.topic])]
    highlights = central(
        [current(_statements(s.summary.key_points or s.summary.overview)) for s in ordered]
    )
    quotes = central([current(s.summary.overview) for s in ordered])[:2]
    return ProfileSummary(
        candidate_id=candidate_id,
        overview=[_coverage_sentence(ordered), *_topic_sentence(topics), *quotes][:4],
        recurring_topics=topics,
        timeline=[_entry(s, current) for s in ordered],
        highlights=highlights[:MAX_HIGHLIGHTS],
        coverage=ProfileCoverage(
            sessions=len(sessions), words=sum(s.summary.source.words for s in sessions)
        ),
        engine=engine,
        engine_version=version,
        facts=facts.facts,
    )


class Current:
    """Keeps the lines that do not repeat a value a later session superseded."""

    def __init__(self, superseded: Sequence[str]) -> None:
        said = sorted({s.strip() for s in superseded if s.strip()}, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(s)}(?!\w)" for s in said), re.IGNORECASE)
            if said
            else None
        )

    def __call__(self, lines: Sequence[str]) -> list[str]:
        if self._pattern is None:
            return list(lines)
        return [line for line in lines if not self._pattern.search(line)]


def central(groups: Sequence[Sequence[str]], k: int = MAX_HIGHLIGHTS) -> list[str]:
    """The ``k`` most central, mutually distinct statements across groups (sessions);
    statements earlier in their group weigh more."""
    seen: dict[str, tuple[int, str]] = {}
    for group in groups:
        for rank, text in enumerate(group):
            seen.setdefault(text.lower(), (rank, text))
    unique = list(seen.values())
    if not unique:
        return []
    terms = [[stem(t) for t in tokenize(text) if is_content(t)] for _, text in unique]
    matrix = tfidf(terms, stem_specificity)
    similarity = matrix @ matrix.T
    prior = np.array([1.0 / (1.0 + 0.15 * rank) for rank, _ in unique])
    scores = lexrank(similarity) * prior
    return [unique[i][1] for i in mmr(scores, similarity, k, diversity=0.4)]


def gist(overview: Sequence[str], topics: Sequence[str]) -> str:
    """The overview sentence that covers the session's top topics best, trimmed."""
    if not overview:
        return "No summary text."
    keys = [topic_key(t) for t in topics]

    def coverage(sentence: str) -> float:
        stems = tuple(stem(t) for t in tokenize(sentence))
        return sum(1.0 / (r + 1) for r, key in enumerate(keys) if key and _has(stems, key))

    best = max(range(len(overview)), key=lambda i: (coverage(overview[i]), -i))
    return trim(overview[best], GIST_CHARS)


def trim(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, "…" when cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " ":
        head = head.rsplit(" ", 1)[0] if " " in head else head
    return head.rstrip(" ,;:—–-") + "…"


def _entry(session: SessionWithSummary, current: "Current") -> TimelineEntry:
    summary = session.summary
    return TimelineEntry(
        session_id=session.source.session_id,
        date=session.source.occurred_at,
        mode=summary.mode,
        gist=gist(current(summary.overview), summary.topics),
    )


def _statements(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if line.strip()]


def _coverage_sentence(sessions: Sequence[SessionWithSummary]) -> str:
    modes = Counter(s.summary.mode for s in sessions)
    kinds = [
        f"{n} {_MODE_NAMES[m]}{'s' if n != 1 else ''}"
        for m, n in sorted(modes.items(), key=lambda i: i[0].value)
    ]
    dates = sorted({_day(s.source.occurred_at) for s in sessions if s.source.occurred_at})
    span = ""
    if dates:
        span = f" dated {dates[0]}" if len(dates) == 1 else f" dated {dates[0]} to {dates[-1]}"
    plural = "s" if len(sessions) != 1 else ""
    return f"{len(sessions)} session{plural} summarized ({_listing(kinds)}){span}."


def _topic_sentence(topics: Sequence[TopicCount]) -> list[str]:
    recurring = [t for t in topics if t.count >= 2][:4]
    if recurring:
        named = [f"{t.topic} ({t.count} sessions)" for t in recurring]
        return [f"Recurring topics: {_listing(named)}."]
    if topics:
        return [f"Main topics: {_listing([t.topic for t in topics[:4]])}."]
    return []


def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _has(stems: tuple[str, ...], key: tuple[str, ...]) -> bool:
    return any(stems[i : i + len(key)] == key for i in range(len(stems) - len(key) + 1))


def _sort_date(moment: datetime | None) -> tuple[bool, datetime]:
    if moment is None:
        return (True, datetime.min.replace(tzinfo=UTC))
    return (False, moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment.tzinfo else f"{moment:%Y-%m-%d}"
