"""A candidate's facts across sessions: what recurs, and the newest value of what changed.

Facts of two sessions are the same fact when they share a number with its unit, a name,
or most of their content words. A constraint (notice, salary, location, ...) whose
figure differs between sessions changed: the newest session's value stands, and the
older value is superseded, so the profile must not repeat it anywhere (``superseded``
lists what it said).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.summary import Fact, FactKind, ProfileFact, SessionEvidence, SessionSummary
from services.worker.summarizer.base import SessionWithSummary
from services.worker.summarizer.facts.quantities import DURATIONS
from services.worker.summarizer.text import is_content, stem, tokenize

MAX_FACTS = 24
PER_KIND = 3
_ORDER = [
    FactKind.ROLE,
    FactKind.EXPERIENCE,
    FactKind.LOCATION,
    FactKind.NOTICE,
    FactKind.AUTHORIZATION,
    FactKind.COMPENSATION,
    FactKind.AVAILABILITY,
    FactKind.REMOTE,
    FactKind.REASON_FOR_LEAVING,
    FactKind.MOTIVATION,
    FactKind.ACHIEVEMENT,
    FactKind.SKILL,
    FactKind.STATEMENT,
]
SAME_WORDS = 0.5
"""Share of content words two facts must have in common to be one fact (two at least)."""
_MONEY = frozenset(["USD", "EUR", "GBP"])
_CHANGEABLE = frozenset(
    [FactKind.NOTICE, FactKind.COMPENSATION, FactKind.AVAILABILITY, FactKind.LOCATION]
)
_NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+\b")


@dataclass
class _Group:
    kind: FactKind
    facts: list[tuple[str, Fact]] = field(default_factory=list)
    """(session id, fact), oldest first."""
    changed: bool = False


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    facts: list[ProfileFact]
    superseded: list[str]
    """What the superseded values said (quotes and numbers as said)."""


def profile_facts(sessions: Sequence[SessionWithSummary]) -> ProfileFacts:
    """Facts over ``sessions`` (oldest first): recurring first, then by kind."""
    groups: list[_Group] = []
    for session in sessions:
        for kind, fact in _facts(session.summary):
            _add(groups, kind, session.source.session_id, fact)
    superseded = [s for g in groups for s in _settle(g)]
    kept = [g for g in groups if g.facts]
    kept.sort(key=lambda g: (-len({s for s, _ in g.facts}), not g.changed, _ORDER.index(g.kind)))
    per_kind: dict[FactKind, int] = {}
    chosen = []
    for group in kept:
        per_kind[group.kind] = per_kind.get(group.kind, 0) + 1
        if per_kind[group.kind] <= PER_KIND:
            chosen.append(group)
    return ProfileFacts([_profile_fact(g) for g in chosen[:MAX_FACTS]], superseded)


def _facts(summary: SessionSummary) -> list[tuple[FactKind, Fact]]:
    facts = summary.facts
    pairs: list[tuple[FactKind, Fact]] = [(c.kind, c) for c in facts.constraints]
    for kind, items in (
        (FactKind.ROLE, facts.role),
        (FactKind.EXPERIENCE, facts.experience),
        (FactKind.ACHIEVEMENT, facts.achievements),
        (FactKind.MOTIVATION, facts.motivation),
        (FactKind.REASON_FOR_LEAVING, facts.reason_for_leaving),
        (FactKind.SKILL, facts.skills),
        (FactKind.STATEMENT, facts.statements),
    ):
        pairs += [(kind, f) for f in items]
    return pairs


def _add(groups: list[_Group], kind: FactKind, session_id: str, fact: Fact) -> None:
    """Into the group of the same fact, or of the fact whose figure it changes."""
    for group in groups:
        if group.kind is not kind:
            continue
        last_session, last = group.facts[-1]
        if kind in _CHANGEABLE and last_session != session_id and _conflicts(kind, fact, last):
            group.changed = True
            group.facts.append((session_id, fact))
            return
        if any(s != session_id and _same(fact, other) for s, other in group.facts):
            group.facts.append((session_id, fact))
            return
    groups.append(_Group(kind, [(session_id, fact)]))


def _settle(group: _Group) -> list[str]:
    """Drop the values a changed fact no longer has; return what they said."""
    if not group.changed:
        return []
    newest = group.facts[-1][0]
    old = [f for s, f in group.facts if s != newest]
    group.facts = [(s, f) for s, f in group.facts if s == newest]
    said = [q.text for f in old for q in f.quantities] + [f.evidence.quote for f in old]
    return [s for s in said if not any(s in f.evidence.quote for _, f in group.facts)]


def _same(a: Fact, b: Fact) -> bool:
    if a.value.lower() == b.value.lower():
        return True
    if _figures(a) and _figures(a) == _figures(b):
        return True
    names = _names(a) & _names(b)
    if names:
        return True
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return False
    shared = len(words_a & words_b)
    return shared >= 2 and shared / min(len(words_a), len(words_b)) >= SAME_WORDS


def _conflicts(kind: FactKind, a: Fact, b: Fact) -> bool:
    """Both give a figure of the same sort (a duration, an amount) and the figures differ."""
    shared = _sorts(kind, a) & _sorts(kind, b)
    return bool(shared) and _figures(a) != _figures(b)


def _sorts(kind: FactKind, fact: Fact) -> set[str]:
    sorts = set()
    for quantity in fact.quantities:
        if quantity.unit in DURATIONS:
            sorts.add("duration")
        elif quantity.unit in _MONEY or kind is FactKind.COMPENSATION:
            sorts.add("amount")
    return sorts


def _figures(fact: Fact) -> set[tuple[float, str]]:
    return {(q.value, q.unit) for q in fact.quantities}


def _names(fact: Fact) -> set[str]:
    return set(_NAME_RE.findall(fact.value))


def _words(fact: Fact) -> set[str]:
    return {stem(t) for t in tokenize(fact.value) if is_content(t)}


def _profile_fact(group: _Group) -> ProfileFact:
    session_id, fact = group.facts[-1]
    sessions = list(dict.fromkeys(s for s, _ in group.facts))
    return ProfileFact(
        kind=group.kind,
        value=fact.value,
        quantities=fact.quantities,
        sessions=sessions,
        changed=group.changed,
        evidence=SessionEvidence(session_id=session_id, **fact.evidence.model_dump()),
    )
