"""Which kinds of fact a sentence states, and how strongly.

A sentence states a kind when it holds one of the kind's cue words, or when it opens the
answer to a question that asked for that kind; some kinds also need a number of the right
sort (experience: years; achievements: a figure that is not a year). The score orders the
candidates of a kind; the words ``anchor`` points at are kept in the quote.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from contracts.summary import FactKind
from contracts.types import Mode, Role
from services.worker.summarizer.facts.cues import (
    HEAD_RE,
    LEAVING_EVENTS,
    STATEMENT_CUES,
    TITLE_RE,
)
from services.worker.summarizer.facts.quantities import Measured
from services.worker.summarizer.facts.spans import Span

MIN_SCORE = 1.0
_QUESTION_RE = re.compile(r"\?[\"'”’)\]]*\s*$")
_INTERVIEWER_KINDS = frozenset(
    [
        FactKind.ROLE,
        FactKind.LOCATION,
        FactKind.NOTICE,
        FactKind.AUTHORIZATION,
        FactKind.COMPENSATION,
        FactKind.AVAILABILITY,
        FactKind.REMOTE,
    ]
)
"""What an interviewer states that belongs in an INTERVIEW summary: the role and the
offer's terms."""
_SAID_KINDS = [k for k in FactKind if k is not FactKind.SKILL]
_UP = re.compile(r"\b(?:increas|grew|grow|improv|doubl|tripl|rais|boost|up|exceed|beat|more)", re.I)
_DOWN = re.compile(r"\b(?:cut|reduc|lower|drop|fell|fall|halv|down|sav|fewer|less|shorten)", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|we|we've|our)\b", re.I)
_NOT_EXPERIENCE = re.compile(r"^\s*(?:ago|later|earlier|before|after|from now|old)\b", re.I)
_CAREER = re.compile(r"\b(?:total|overall|in all|altogether|career|all in)\b", re.I)
SHORT_ANSWER = 6
"""Words at most of a terse answer ("Six years."), read with the question before it."""
CORRECTED = 1.0
"""Bonus for a sentence the speaker corrected: the value mattered enough to fix."""


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: FactKind
    span: Span
    score: float
    anchor: int | None
    """A position in the turn text the quote keeps."""
    quantities: tuple[Measured, ...] = ()


def candidates(span: Span, mode: Mode) -> list[Candidate]:
    """The kinds ``span`` may state, each scored (only those at ``MIN_SCORE`` or more)."""
    if _QUESTION_RE.search(span.text):
        return []
    kinds = _INTERVIEWER_KINDS if _interviewer_in_interview(span, mode) else _SAID_KINDS
    found = []
    for kind in kinds:
        rule = _RULES.get(kind, _cued)
        candidate = rule(kind, span)
        if candidate is not None and candidate.score >= MIN_SCORE:
            found.append(candidate)
    if _corrected(span):
        found = [replace(c, score=c.score + CORRECTED) for c in found]
        if not found and span.role is Role.CANDIDATE:
            found = [Candidate(FactKind.STATEMENT, span, 1.0 + CORRECTED, None)]
    return found


def _corrected(span: Span) -> bool:
    """The sentence holds the value that replaced a superseded one."""
    return any(span.start <= c.new[0] < span.end for c in span.corrections)


def direction(text: str) -> Literal["up", "down"] | None:
    """Which way a figure moved, if the sentence says so (cut/reduced vs grew/raised)."""
    down, up = _DOWN.search(text), _UP.search(text)
    if down and (not up or down.start() < up.start()):
        return "down"
    return "up" if up else None


def _interviewer_in_interview(span: Span, mode: Mode) -> bool:
    return mode is Mode.INTERVIEW and span.role is Role.INTERVIEWER


def _cue(kind: FactKind, span: Span) -> re.Match[str] | None:
    return _cue_in(kind, span.text)


@lru_cache(maxsize=4096)
def _cue_in(kind: FactKind, text: str) -> re.Match[str] | None:
    lowered = text.lower()
    fast = _LOWER_CUES.get(kind)
    if fast is None or len(lowered) != len(text):
        return STATEMENT_CUES[kind].search(text)
    return fast.search(lowered)


_LOWER_CUES = {
    kind: re.compile(pattern.pattern)
    for kind, pattern in STATEMENT_CUES.items()
    if "(?-i:" not in pattern.pattern
}
"""The cues without IGNORECASE, for lower-cased text (several times faster); those that
need a capital (a place name) run as they are."""


def _cued(kind: FactKind, span: Span, base: float = 1.2) -> Candidate | None:
    """A cue word, or the opening of an answer to a question about ``kind``."""
    match = _cue(kind, span)
    asked = _asked(kind, span)
    score = (base if match else 0.0) + asked
    if not match and asked < 1.0:
        return None
    anchor = span.start + match.start() if match else None
    return Candidate(kind, span, score, anchor)


def _personal(kind: FactKind, span: Span) -> Candidate | None:
    """Why they leave, what they want: said of themselves, or in answer to the question."""
    personal = _FIRST_PERSON.search(span.text) or _asked(kind, span)
    event = kind is FactKind.REASON_FOR_LEAVING and LEAVING_EVENTS.search(span.text)
    if not (personal or event):
        return None
    found = _cued(kind, span)
    return replace(found, score=found.score + 0.5) if found and event else found


def _role(kind: FactKind, span: Span) -> Candidate | None:
    title = TITLE_RE.search(span.text)
    if title is None:
        match = _cue(kind, span) or (HEAD_RE.search(span.text) if _asked(kind, span) else None)
        if match is None:
            return None
        return Candidate(kind, span, 1.2 + _asked(kind, span), span.start + match.start())
    return Candidate(kind, span, 2.0 + _asked(kind, span), span.start + title.start("title"))


def _experience(kind: FactKind, span: Span) -> Candidate | None:
    text = span.turn_text
    years = [
        m
        for m in span.numbers
        if m.unit == "year" and 1 <= m.number.value <= 50 and not _NOT_EXPERIENCE.match(text, m.end)
    ]
    terse = len(span.text.split()) <= SHORT_ANSWER
    if not years or not (_cue(kind, span) or _asked(kind, span) or terse):
        return None
    most = max(m.number.high or m.number.value for m in years)
    score = 1.5 + _asked(kind, span) + (0.3 if _FIRST_PERSON.search(span.text) else 0.0)
    score += 0.5 * min(most / 10, 1.0) + (0.5 if _CAREER.search(span.text) else 0.0)
    return Candidate(kind, span, score, years[0].number.start, (years[0],))


def _achievement(kind: FactKind, span: Span) -> Candidate | None:
    figures = [m for m in span.numbers if not m.number.year and not m.number.weak]
    figures = [m for m in figures if not (m.unit == "year" and m.number.value < 50)]
    match = _cue(kind, span)
    big = any(m.number.value >= 1e6 for m in figures)
    if not figures or (match is None and not _asked(kind, span) and not big):
        return None
    score = 1.2 + 0.4 * min(len(figures), 3) + _asked(kind, span)
    if any(m.unit == "percent" or m.money or m.unit == "times" for m in figures):
        score += 0.5
    if direction(span.text):
        score += 0.3
    return Candidate(kind, span, score, figures[0].number.start, tuple(figures))


def _money(kind: FactKind, span: Span) -> Candidate | None:
    money = [m for m in span.numbers if m.money or (m.number.scaled and m.number.value >= 1e4)]
    match = _cue(kind, span)
    if match is None and not (money and _asked(kind, span)):
        return None
    figures = money or [
        m for m in span.numbers if not (m.number.year or m.number.weak or m.duration)
    ]
    score = 1.2 + (1.0 if money else 0.0) + _asked(kind, span)
    anchor = figures[0].number.start if figures else span.start + match.start() if match else None
    return Candidate(kind, span, score, anchor, tuple(figures))


def _notice(kind: FactKind, span: Span) -> Candidate | None:
    found = _cued(kind, span, base=2.0)
    if found is None:
        return None
    durations = tuple(m for m in span.numbers if m.duration and m.unit in ("week", "month", "day"))
    return Candidate(kind, span, found.score + (0.5 if durations else 0.0), found.anchor, durations)


def _statement(kind: FactKind, span: Span) -> Candidate | None:
    match = _cue(kind, span)
    if match is None or not _FIRST_PERSON.search(span.text):
        return None
    return Candidate(kind, span, 1.0, span.start + match.start())


def _asked(kind: FactKind, span: Span) -> float:
    """How much the question before the answer says this sentence is about ``kind``: the
    answer's first sentences most."""
    if kind not in span.asked:
        return 0.0
    return 1.0 if span.position < 2 else 0.6 if span.position < 5 else 0.3


_RULES: dict[FactKind, Callable[[FactKind, Span], Candidate | None]] = {
    FactKind.ROLE: _role,
    FactKind.EXPERIENCE: _experience,
    FactKind.ACHIEVEMENT: _achievement,
    FactKind.COMPENSATION: _money,
    FactKind.NOTICE: _notice,
    FactKind.STATEMENT: _statement,
    FactKind.MOTIVATION: _personal,
    FactKind.REASON_FOR_LEAVING: _personal,
}
