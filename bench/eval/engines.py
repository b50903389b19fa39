"""What is evaluated: the engine, the engine before the fact layer, and two naive
baselines that only return text."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from contracts.summary import ProfileSummary, SessionSummary
from contracts.types import Role
from services.worker.summarizer import SessionSource, SessionWithSummary
from services.worker.summarizer.extractive import (
    ExtractiveSummarizer,
    LegacyExtractiveSummarizer,
)
from services.worker.summarizer.facts.numbers import find_numbers
from services.worker.summarizer.text import split_sentences

FIRST_CHARS = 400
NUMBER_CHARS = 1500


@dataclass(frozen=True, slots=True)
class Output:
    texts: list[str]
    """Every string value of the summary."""
    summary: SessionSummary | None
    seconds: float

    @property
    def lead(self) -> list[str]:
        """What a reader reads first: the overview and key points (all of a baseline)."""
        if self.summary is None:
            return self.texts
        return [*self.summary.overview, *self.summary.key_points]

    @property
    def words(self) -> int:
        """Words of the distinct strings: a quote that is also an overview sentence, or
        the same quote under two kinds of fact, is read once."""
        return sum(len(text.split()) for text in dict.fromkeys(self.texts))

    def first_words(self, budget: int) -> list[str]:
        """The distinct strings in the order the summary gives them (a baseline's text as
        it runs), cut after ``budget`` words: what a reader with that budget reads."""
        kept: list[str] = []
        left = budget
        for text in dict.fromkeys(self.texts):
            words = text.split()
            if left <= 0:
                break
            kept.append(" ".join(words[:left]))
            left -= len(words)
        return kept


@dataclass(frozen=True, slots=True)
class Engine:
    name: str
    session: Callable[[SessionSource], Output]
    profile: Callable[[str, list[SessionWithSummary]], ProfileSummary] | None = None


def _engine(name: str, engine: ExtractiveSummarizer | LegacyExtractiveSummarizer) -> Engine:
    from bench.eval.matching import strings

    def session(source: SessionSource) -> Output:
        started = time.process_time()
        summary = engine.summarize_session(source)
        seconds = time.process_time() - started
        return Output(strings(summary.model_dump(mode="json")), summary, seconds)

    return Engine(name, session, engine.summarize_profile)


def _candidate_text(source: SessionSource) -> list[str]:
    """The candidate's turns; every turn when the candidate says nothing (notes)."""
    said = [t.text for t in source.turns if t.role is Role.CANDIDATE]
    return said or [t.text for t in source.turns]


def first_chars(source: SessionSource, chars: int = FIRST_CHARS) -> Output:
    started = time.process_time()
    text = " ".join(" ".join(_candidate_text(source)).split())[:chars]
    return Output([text], None, time.process_time() - started)


def number_sentences(source: SessionSource, chars: int = NUMBER_CHARS) -> Output:
    started = time.process_time()
    kept: list[str] = []
    size = 0
    for turn in _candidate_text(source):
        for sentence in split_sentences(turn):
            if not _has_number(sentence):
                continue
            if size + len(sentence) > chars:
                return Output(kept, None, time.process_time() - started)
            kept.append(sentence)
            size += len(sentence) + 1
    return Output(kept, None, time.process_time() - started)


def _engine_chars(source: SessionSource) -> int:
    """Characters of the distinct strings of the engine's summary of ``source``."""
    from bench.eval.matching import strings

    summary = ExtractiveSummarizer().summarize_session(source)
    return sum(len(text) + 1 for text in dict.fromkeys(strings(summary.model_dump(mode="json"))))


def first_as_long(source: SessionSource) -> Output:
    """The first-characters baseline as long as the engine's summary of the same session:
    what the engine's recall owes to its length alone."""
    return first_chars(source, _engine_chars(source))


def numbers_as_long(source: SessionSource) -> Output:
    """The numbers baseline with as many characters as the engine's summary (it runs out
    of sentences with numbers before that on most sessions)."""
    return number_sentences(source, _engine_chars(source))


def _has_number(sentence: str) -> bool:
    return bool(re.search(r"\d", sentence)) or bool(find_numbers(sentence))


ENGINES: dict[str, Callable[[], Engine]] = {
    "extractive": lambda: _engine("extractive", ExtractiveSummarizer()),
    "legacy": lambda: _engine("legacy", LegacyExtractiveSummarizer()),
    "first-400": lambda: Engine("first-400", first_chars),
    "numbers-1500": lambda: Engine("numbers-1500", number_sentences),
    "first-as-long": lambda: Engine("first-as-long", first_as_long),
    "numbers-as-long": lambda: Engine("numbers-as-long", numbers_as_long),
}
"""The columns of the table, in order."""
