"""The sentences a mode summarizes, with what scoring needs to know about each."""

import re
from dataclasses import dataclass

from contracts.types import Mode, Role
from services.worker.summarizer.base import NothingToSummarize, SessionSource, Turn
from services.worker.summarizer.text import (
    FILLERS,
    filler_count,
    is_content,
    remove_fillers,
    split_sentences,
    stem,
    strip_leading_filler,
    tokenize,
    word_count,
)

NO_CANDIDATE = "no candidate statements to summarize"
NO_TEXT = "session has no text to summarize"

_TERMINAL_RE = re.compile(r"[.!?…][\"'”’)\]]*$")
_CUT_RE = re.compile(r"(?:[—–-]|\.\.\.|…)[\"'”’)\]]*$")
_FIRST_PERSON_TEXT = "i i'm i've i'd i'll me my mine myself we we're we've our ours"
_FIRST_PERSON = frozenset(_FIRST_PERSON_TEXT.split())


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    """The whole sentence as shown (verbatim, leading fillers stripped)."""
    turn: int
    role: Role
    terms: tuple[str, ...]
    """Stemmed content terms, fillers removed."""
    words: int
    fillers: int
    question: bool
    complete: bool
    """Ends with terminal punctuation, or ends its line without being cut off."""
    first_person: bool


def eligible_turns(source: SessionSource) -> list[tuple[int, Turn]]:
    """The turns ``source.mode`` reads, with their index; raises when none has words.

    SELF_REPORT reads the candidate's turns; INTERVIEW and NOTES read every turn.
    """
    turns = list(enumerate(source.turns))
    if source.mode is Mode.SELF_REPORT:
        turns = [(i, t) for i, t in turns if t.role is Role.CANDIDATE]
    turns = [(i, t) for i, t in turns if _has_words(t.text)]
    if not turns:
        raise NothingToSummarize(NO_CANDIDATE if source.mode is Mode.SELF_REPORT else NO_TEXT)
    return turns


def collect(source: SessionSource) -> list[Sentence]:
    """Every sentence of the turns the mode reads, in order."""
    sentences: list[Sentence] = []
    for index, turn in eligible_turns(source):
        for line in turn.text.splitlines():
            parts = split_sentences(line)
            for position, raw in enumerate(parts):
                last = position == len(parts) - 1
                sentences.append(_sentence(raw, index, turn.role, last))
    return sentences


def _sentence(raw: str, turn: int, role: Role, last_in_line: bool) -> Sentence:
    shown = strip_leading_filler(raw)
    tokens = tokenize(remove_fillers(shown))
    return Sentence(
        text=shown,
        turn=turn,
        role=role,
        terms=tuple(stem(t) for t in tokens if is_content(t)),
        words=word_count(shown),
        fillers=filler_count(raw),
        question=shown.rstrip("\"'”’)] ").endswith("?"),
        complete=_complete(raw, last_in_line),
        first_person=any(t in _FIRST_PERSON for t in tokens),
    )


def _complete(raw: str, last_in_line: bool) -> bool:
    if _CUT_RE.search(raw):
        return False
    return bool(_TERMINAL_RE.search(raw)) or last_in_line


def _has_words(text: str) -> bool:
    return any(t not in FILLERS for t in tokenize(text))
