"""One engine over one split: fact recall (overall and per kind), leaks, cut sentences,
ungrounded items, time, and the profiles."""

from collections import Counter
from dataclasses import dataclass, field

from bench.eval.checks import cut_sentences, ungrounded, ungrounded_profile
from bench.eval.data import Profile, Session
from bench.eval.engines import Engine, Output
from bench.eval.matching import found, leaks, strings
from contracts.types import Mode
from services.worker.summarizer import SessionWithSummary
from services.worker.summarizer.text import word_count

BUDGETS = (100, 200)
"""Words of a summary's distinct text a reader reads, for the fixed-budget recall."""


@dataclass
class Score:
    engine: str
    found: Counter[str] = field(default_factory=Counter)
    found_in_lead: int = 0
    """Facts found in the overview and key points alone."""
    found_within: Counter[int] = field(default_factory=Counter)
    """Facts found in the first ``n`` words of the summary's distinct text, by ``n``."""
    total: Counter[str] = field(default_factory=Counter)
    summary_words: list[int] = field(default_factory=list)
    leaks: int = 0
    cut: int = 0
    ungrounded: int = 0
    seconds: float = 0.0
    words: int = 0
    profile_found: Counter[str] = field(default_factory=Counter)
    profile_total: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    """What was missed and why: printed for the dev split only."""

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(sum(self.total.values()), 1)

    @property
    def lead_recall(self) -> float:
        return self.found_in_lead / max(sum(self.total.values()), 1)

    def recall_within(self, budget: int) -> float:
        return self.found_within[budget] / max(sum(self.total.values()), 1)

    @property
    def ms_per_1k_words(self) -> float:
        return self.seconds * 1000 / max(self.words, 1) * 1000


def score(engine: Engine, sessions: list[Session], profiles: list[Profile]) -> Score:
    result = Score(engine.name)
    outputs: dict[str, Output] = {}
    for session in sessions:
        output = engine.session(session.source)
        outputs[session.name] = output
        _score_session(result, session, output)
    for profile in profiles:
        _score_profile(result, engine, profile, sessions, outputs)
    return result


def _score_session(result: Score, session: Session, output: Output) -> None:
    result.seconds += output.seconds
    result.words += sum(word_count(t.text) for t in session.source.turns)
    result.summary_words.append(output.words)
    within = {n: output.first_words(n) for n in BUDGETS}
    for fact in session.facts:
        result.total[fact.kind] += 1
        result.found_in_lead += found(fact, output.lead)
        for n, texts in within.items():
            result.found_within[n] += found(fact, texts)
        if found(fact, output.texts):
            result.found[fact.kind] += 1
        else:
            result.misses.append(f"{session.name}: {fact.kind}: {fact.fact}")
    if session.source.mode is Mode.SELF_REPORT:
        leaked = leaks(session.interviewer_only, output.texts)
        result.leaks += len(leaked)
        result.misses += [f"{session.name}: LEAK {p!r}" for p in leaked]
    if output.summary is not None:
        cut = cut_sentences(output.summary, session.source)
        bad = ungrounded(output.summary, session.source)
        result.cut += len(cut)
        result.ungrounded += len(bad)
        result.misses += [f"{session.name}: CUT {c!r}" for c in cut]
        result.misses += [f"{session.name}: UNGROUNDED {b}" for b in bad]


def _score_profile(
    result: Score,
    engine: Engine,
    profile: Profile,
    sessions: list[Session],
    outputs: dict[str, Output],
) -> None:
    mine = [s for s in sessions if s.name in profile.sessions]
    texts = [t for s in mine for t in outputs[s.name].texts]
    if engine.profile is not None:
        pairs = [
            SessionWithSummary(s.source, summary)
            for s in mine
            if (summary := outputs[s.name].summary) is not None
        ]
        summary = engine.profile(profile.candidate_id, pairs)
        texts = strings(summary.model_dump(mode="json"))
        bad = ungrounded_profile(summary, {s.source.session_id: s.source for s in mine})
        result.ungrounded += len(bad)
        result.misses += [f"{profile.name}: UNGROUNDED {b}" for b in bad]
    for fact in profile.facts:
        result.profile_total[fact.kind] += 1
        if found(fact, texts):
            result.profile_found[fact.kind] += 1
        else:
            result.misses.append(f"{profile.name}: profile {fact.kind}: {fact.fact}")
