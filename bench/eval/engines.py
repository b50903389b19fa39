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


def first_chars(source: SessionSource) -> Output:
    started = time.process_time()
    text = " ".join(" ".join(_candidate_text(source)).split())[:FIRST_CHARS]
    return Output([text], None, time.process_time() - started)


def number_sentences(source: SessionSource) -> Output:
    started = time.process_time()
    kept: list[str] = []
    size = 0
    for turn in _candidate_text(source):
        for sentence in split_sentences(turn):
            if not _has_number(sentence):
                continue
            if size + len(sentence) > NUMBER_CHARS:
                return Output(kept, None, time.process_time() - started)
            kept.append(sentence)
            size += len(sentence) + 1
    return Output(kept, None, time.process_time() - started)


def _has_number(sentence: str) -> bool:
    return bool(re.search(r"\d", sentence)) or bool(find_numbers(sentence))


ENGINES: dict[str, Callable[[], Engine]] = {
    "extractive": lambda: _engine("extractive", ExtractiveSummarizer()),
    "legacy": lambda: _engine("legacy", LegacyExtractiveSummarizer()),
    "first-400": lambda: Engine("first-400", first_chars),
    "numbers-1500": lambda: Engine("numbers-1500", number_sentences),
}
"""The columns of the table, in order."""
