"""A session's facts: the best candidates of each kind, with their evidence."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from contracts.summary import Achievement, Constraint, Fact, FactKind, Quantity, SessionFacts
from contracts.types import Mode
from services.worker.summarizer.base import SessionSource
from services.worker.summarizer.facts.classify import (
    SHORT_ANSWER,
    Candidate,
    candidates,
    direction,
)
from services.worker.summarizer.facts.cues import TITLE_RE
from services.worker.summarizer.facts.evidence import Quote, evidence, quote
from services.worker.summarizer.facts.quantities import Measured
from services.worker.summarizer.facts.rarity import rarity
from services.worker.summarizer.facts.skills import find_skills
from services.worker.summarizer.facts.spans import Span, session_spans
from services.worker.summarizer.text import word_count

LIMITS = {
    FactKind.ROLE: 4,
    FactKind.EXPERIENCE: 2,
    FactKind.ACHIEVEMENT: 5,
    FactKind.MOTIVATION: 3,
    FactKind.REASON_FOR_LEAVING: 3,
    FactKind.LOCATION: 2,
    FactKind.NOTICE: 1,
    FactKind.AUTHORIZATION: 1,
    FactKind.COMPENSATION: 2,
    FactKind.AVAILABILITY: 2,
    FactKind.REMOTE: 1,
    FactKind.STATEMENT: 3,
}
TERSE_TURN = 40
"""Words at most of an answer quoted whole when its fact sentence is terse."""
WIDE_QUOTE_WORDS = 60
VALUE_WORDS = 16
"""A fact's value is the quote narrowed to this many words around what it is about."""
CONSTRAINTS = (
    FactKind.LOCATION,
    FactKind.NOTICE,
    FactKind.AUTHORIZATION,
    FactKind.COMPENSATION,
    FactKind.AVAILABILITY,
    FactKind.REMOTE,
)
_PLACE_RE = re.compile(r"\b(?:to|in|near|from|the)\s+((?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?)")
_PLACE_KINDS = (FactKind.LOCATION, FactKind.REMOTE, FactKind.AVAILABILITY)


@dataclass(frozen=True, slots=True)
class Extraction:
    facts: SessionFacts
    chosen: list[Candidate]
    """The candidates that became facts, most important first."""
    spans: list[Span]


def extract(source: SessionSource) -> Extraction:
    """The facts ``source`` states, in the turns its mode reads."""
    spans = session_spans(source)
    found = [c for span in spans for c in candidates(span, source.mode)]
    found = _with_rarity(found, spans)
    chosen = [_widened(c, spans) for c in _best(found)]
    by_kind: dict[FactKind, list[Candidate]] = {}
    for candidate in chosen:
        by_kind.setdefault(candidate.kind, []).append(candidate)
    places = frozenset(
        p.lower() for k in _PLACE_KINDS for c in by_kind.get(k, []) for p in _places(c)
    )
    facts = SessionFacts(
        role=[_fact(c, _title(c)) for c in by_kind.get(FactKind.ROLE, [])],
        experience=[_fact(c) for c in by_kind.get(FactKind.EXPERIENCE, [])],
        achievements=[_achievement(c) for c in by_kind.get(FactKind.ACHIEVEMENT, [])],
        motivation=[_fact(c) for c in by_kind.get(FactKind.MOTIVATION, [])],
        reason_for_leaving=[_fact(c) for c in by_kind.get(FactKind.REASON_FOR_LEAVING, [])],
        constraints=[_constraint(c) for k in CONSTRAINTS for c in by_kind.get(k, [])],
        skills=[_skill(s.name, s.span, s.start) for s in find_skills(spans, places)],
        statements=[_fact(c) for c in by_kind.get(FactKind.STATEMENT, [])],
    )
    return Extraction(facts, chosen, spans)


def _with_rarity(found: list[Candidate], spans: Sequence[Span]) -> list[Candidate]:
    """Statements score by how unlike the rest of the session they are."""
    weights = rarity(spans, [c.span for c in found if c.kind is FactKind.STATEMENT])
    return [
        Candidate(c.kind, c.span, c.score + weights.get(id(c.span), 0.0), c.anchor, c.quantities)
        if c.kind is FactKind.STATEMENT
        else c
        for c in found
    ]


def _best(found: list[Candidate]) -> list[Candidate]:
    """Up to ``LIMITS[kind]`` candidates per kind, one per sentence per kind, best first;
    a sentence already quoted for another kind is not a statement too."""
    ranked = sorted(found, key=lambda c: (-c.score, c.span.turn, c.span.start))
    taken: dict[FactKind, list[Candidate]] = {}
    used: set[tuple[int, int]] = set()
    out: list[Candidate] = []
    for candidate in ranked:
        place = (candidate.span.turn, candidate.span.start)
        kind_list = taken.setdefault(candidate.kind, [])
        if len(kind_list) >= LIMITS[candidate.kind] or any(
            (c.span.turn, c.span.start) == place for c in kind_list
        ):
            continue
        if candidate.kind is FactKind.STATEMENT and place in used:
            continue
        kind_list.append(candidate)
        used.add(place)
        out.append(candidate)
    return out


def _widened(candidate: Candidate, spans: Sequence[Span]) -> Candidate:
    """A terse answer is quoted whole; an achievement goes on into the next sentences
    that give its other figures ("54 percent when I took over. Eighty-one last year.")."""
    span = candidate.span
    turn = [s for s in spans if s.turn == span.turn]
    mine = next((i for i, s in enumerate(turn) if s.start == span.start), None)
    if mine is None:
        return candidate
    last = mine
    if word_count(span.turn_text) <= TERSE_TURN and word_count(span.text) <= SHORT_ANSWER:
        first, last = 0, len(turn) - 1
    else:
        first = mine
        if candidate.kind is FactKind.ACHIEVEMENT:
            while last + 1 < len(turn) and last - mine < 2 and _figures(turn[last + 1]):
                last += 1
    if (first, last) == (mine, mine):
        return candidate
    wide = replace(
        span,
        start=turn[first].start,
        end=turn[last].end,
        numbers=tuple(m for s in turn[first : last + 1] for m in s.numbers),
        corrections=tuple(dict.fromkeys(c for s in turn[first : last + 1] for c in s.corrections)),
    )
    extra = tuple(m for m in wide.numbers if m not in candidate.quantities and _figure(m))
    quantities = candidate.quantities + extra if candidate.quantities else candidate.quantities
    return replace(candidate, span=wide, quantities=quantities)


def _figures(span: Span) -> bool:
    return any(_figure(m) for m in span.numbers)


def _figure(measured: Measured) -> bool:
    return not (measured.number.year or measured.number.weak)


def _quote_of(candidate: Candidate) -> tuple[Quote, Quote]:
    said = quote(candidate.span, candidate.anchor, WIDE_QUOTE_WORDS)
    short = quote(candidate.span, candidate.anchor, VALUE_WORDS, VALUE_WORDS)
    return said, short


def _fact(candidate: Candidate, value: str | None = None) -> Fact:
    said, short = _quote_of(candidate)
    return Fact(
        value=value or short.text,
        quantities=_quantities(candidate.quantities, candidate.span),
        evidence=evidence(candidate.span, said),
    )


def _achievement(candidate: Candidate) -> Achievement:
    said, short = _quote_of(candidate)
    return Achievement(
        value=short.text,
        quantities=_quantities(candidate.quantities, candidate.span),
        direction=direction(short.text),
        evidence=evidence(candidate.span, said),
    )


def _constraint(candidate: Candidate) -> Constraint:
    said, short = _quote_of(candidate)
    return Constraint(
        kind=candidate.kind,
        value=short.text,
        quantities=_quantities(candidate.quantities, candidate.span),
        evidence=evidence(candidate.span, said),
    )


def _skill(name: str, span: Span, start: int) -> Fact:
    said = quote(span, start)  # the sentence as said: skills are never widened
    return Fact(value=name, evidence=evidence(span, said))


def _quantities(measured: Sequence[Measured], span: Span) -> list[Quantity]:
    return [m.quantity(span.turn_text) for m in measured]


def _title(candidate: Candidate) -> str | None:
    match = TITLE_RE.search(candidate.span.text)
    return match.group("title") if match else None


def _places(candidate: Candidate) -> list[str]:
    return _PLACE_RE.findall(candidate.span.text)


__all__ = ["Extraction", "Mode", "extract"]
