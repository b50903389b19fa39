"""Counts over a whole session: who spoke how much, and what the summary was made from."""

from contracts.summary import SpeakerStats, SummarySource
from contracts.types import Role
from services.worker.summarizer.base import SessionSource
from services.worker.summarizer.text import word_count


def speaker_stats(source: SessionSource) -> list[SpeakerStats]:
    """Turns, words and share of words per speaker over every turn, in order of appearance."""
    tally: dict[tuple[str, Role], list[int]] = {}
    for turn in source.turns:
        counts = tally.setdefault((turn.speaker, turn.role), [0, 0])
        counts[0] += 1
        counts[1] += word_count(turn.text)
    total = sum(words for _, words in tally.values())
    return [
        SpeakerStats(
            speaker=speaker,
            role=role,
            turns=turns,
            words=words,
            share=words / total if total else 0.0,
        )
        for (speaker, role), (turns, words) in tally.items()
    ]


def source_stats(source: SessionSource) -> SummarySource:
    """The session's identity and size: every turn counts, whatever the mode."""
    return SummarySource(
        session_id=source.session_id,
        turns=len(source.turns),
        words=sum(word_count(t.text) for t in source.turns),
        content_hash=source.content_hash,
    )
