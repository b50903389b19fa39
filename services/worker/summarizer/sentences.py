"""The sentences a mode summarizes, with what scoring needs to know about each."""

import re
from dataclasses import dataclass, replace

from contracts.types import Mode, Role
from services.worker.summarizer.base import NothingToSummarize, SessionSource, Turn
from services.worker.summarizer.text import (
    FILLERS,
    filler_count,
    is_content,
    is_number,
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
_ANAPHORA_TEXT = "that that's this it it's these those they they're"
_ANAPHORA = frozenset(_ANAPHORA_TEXT.split())
_VERDICT_RE = re.compile(r"^(?:recommendation|decision|verdict|outcome|overall)\s*:", re.IGNORECASE)
_HYPOTHETICAL = frozenset(["would", "i'd", "we'd", "wouldn't"])
_CUES_TEXT = """proud proudest biggest main key achievement achievements strength strengths
concern concerns weakness weaknesses recommend recommendation recommended overall summary"""
_CUES = frozenset(_CUES_TEXT.split())
"""Edmundson-style cue words: where speakers and note-takers state what matters."""


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
    opens_turn: bool
    """The first sentence of its turn (where answers usually state their point)."""
    quantified: bool
    """Holds a number: a duration, a size, a result."""
    anaphoric: bool
    """Opens with a pronoun ("That's", "It was") that needs the sentence before it."""
    hypothetical: bool
    """Says what the speaker would do ("I'd", "would") rather than what they did."""
    cue: bool
    """Holds a cue word of assessments ("proudest", "biggest", "recommendation")."""
    verdict: bool
    """Opens with a verdict label ("Recommendation: ...", "Decision: ...")."""
    context: tuple[str, ...] = ()
    """The terms of the question this sentence opens the answer to."""


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
    """Every sentence of the turns the mode reads, in order.

    The first sentence of a candidate's answer carries the terms of the interviewer's
    question before it as context (INTERVIEW and SELF_REPORT), so what was asked informs
    what the answer is about; the question itself is only quoted in INTERVIEW mode.
    """
    sentences: list[Sentence] = []
    for index, turn in eligible_turns(source):
        asked = _question_before(source, index) if turn.role is Role.CANDIDATE else ()
        opening = True
        for line in turn.text.splitlines():
            parts = split_sentences(line)
            for position, raw in enumerate(parts):
                last = position == len(parts) - 1
                sentence = _sentence(raw, index, turn.role, last, opening)
                if opening and asked:
                    sentence = replace(sentence, context=asked)
                sentences.append(sentence)
                opening = False
    return sentences


def _question_before(source: SessionSource, index: int) -> tuple[str, ...]:
    """Terms of the interviewer's question right before turn ``index`` (none in NOTES)."""
    if source.mode is Mode.NOTES or index == 0:
        return ()
    previous = source.turns[index - 1]
    if previous.role is not Role.INTERVIEWER:
        return ()
    parts = split_sentences(previous.text)
    if not parts or not parts[-1].rstrip("\"'”’)] ").endswith("?"):
        return ()
    return tuple(stem(t) for t in tokenize(remove_fillers(parts[-1])) if is_content(t))


def _sentence(raw: str, turn: int, role: Role, last_in_line: bool, opens: bool) -> Sentence:
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
        opens_turn=opens,
        quantified=any(is_number(t) for t in tokens),
        anaphoric=bool(tokens) and tokens[0] in _ANAPHORA,
        hypothetical=any(t in _HYPOTHETICAL for t in tokens),
        cue=any(t in _CUES for t in tokens),
        verdict=_VERDICT_RE.match(shown) is not None,
    )


def _complete(raw: str, last_in_line: bool) -> bool:
    if _CUT_RE.search(raw):
        return False
    return bool(_TERMINAL_RE.search(raw)) or last_in_line


def _has_words(text: str) -> bool:
    return any(t not in FILLERS for t in tokenize(text))
