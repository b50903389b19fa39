"""The sentences facts are read from, as spans of their turn's text (so a quote is always
an exact substring), with the numbers and self-corrections in them."""

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.summary import FactKind
from contracts.types import Mode, Role
from services.worker.summarizer.base import SessionSource
from services.worker.summarizer.facts.corrections import Correction, find_corrections
from services.worker.summarizer.facts.cues import QUESTION_CUES
from services.worker.summarizer.facts.numbers import find_numbers
from services.worker.summarizer.facts.quantities import Measured, measure
from services.worker.summarizer.sentences import eligible_turns
from services.worker.summarizer.text import split_sentences

ANSWER_OPENING = 8
"""Sentences at the start of an answer that the question's kind applies to (the first
ones most: see ``classify``)."""


@dataclass(frozen=True, slots=True)
class Span:
    turn: int
    role: Role
    turn_text: str
    start: int
    end: int
    position: int
    """The sentence's place in its turn (0 opens it)."""
    asked: frozenset[FactKind]
    """The kinds of fact the question before this answer asked for (answer openings)."""
    numbers: tuple[Measured, ...]
    corrections: tuple[Correction, ...]
    """Corrections that touch this sentence."""

    @property
    def text(self) -> str:
        return self.turn_text[self.start : self.end]

    @property
    def superseded(self) -> bool:
        """Holds a value the speaker took back."""
        return any(self.start <= c.old[0] < self.end for c in self.corrections)


def session_spans(source: SessionSource) -> list[Span]:
    """Every sentence of the turns ``source.mode`` reads, in order."""
    spans: list[Span] = []
    for index, turn in eligible_turns(source):
        asked = _asked(source, index) if turn.role is Role.CANDIDATE else frozenset()
        spans.extend(turn_spans(index, turn.role, turn.text, asked))
    return spans


def turn_spans(
    index: int, role: Role, text: str, asked: frozenset[FactKind] = frozenset()
) -> list[Span]:
    numbers = find_numbers(text)
    corrections = find_corrections(text, numbers)
    superseded = {c.old for c in corrections}
    measured = [measure(text, n) for n in numbers if (n.start, n.end) not in superseded]
    spans: list[Span] = []
    for position, (start, end) in enumerate(sentence_offsets(text)):
        spans.append(
            Span(
                turn=index,
                role=role,
                turn_text=text,
                start=start,
                end=end,
                position=position,
                asked=asked if position < ANSWER_OPENING else frozenset(),
                numbers=tuple(m for m in measured if start <= m.number.start < end),
                corrections=tuple(c for c in corrections if _touches(c, start, end)),
            )
        )
    return spans


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each whole sentence of ``text`` (as ``split_sentences`` cuts it)."""
    offsets: list[tuple[int, int]] = []
    cursor = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, cursor)
        if start < 0:
            continue
        offsets.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return offsets


def _touches(correction: Correction, start: int, end: int) -> bool:
    return start <= correction.old[0] < end or start <= correction.new[0] < end


def _asked(source: SessionSource, index: int) -> frozenset[FactKind]:
    """The kinds the interviewer's turn before ``index`` asks about (none in NOTES)."""
    if source.mode is Mode.NOTES or index == 0:
        return frozenset()
    previous = source.turns[index - 1]
    if previous.role is not Role.INTERVIEWER:
        return frozenset()
    question = _last_question(previous.text)
    return frozenset(kind for kind, cue in QUESTION_CUES.items() if cue.search(question))


def _last_question(text: str) -> str:
    parts: Sequence[str] = split_sentences(text)
    asks = [p for p in parts if p.rstrip("\"'”’)] ").endswith("?")]
    return " ".join(asks[-2:]) if asks else (parts[-1] if parts else "")
