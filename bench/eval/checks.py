"""What a summary must never do: quote a cut sentence, or state a fact the transcript
does not support."""

import re
from collections.abc import Iterable, Sequence

from contracts.summary import Fact, ProfileSummary, SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer import SessionSource
from services.worker.summarizer.facts.numbers import find_numbers

_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s")
_FILLERS_ONLY = re.compile(
    r"^(?:\W|um+|uh+|er|erm|hmm|ah|so|well|okay|ok|yeah|yes|right|like|oh|and|but|anyway"
    r"|basically|honestly|you know|i mean)*$",
    re.IGNORECASE,
)


def cut_sentences(summary: SessionSummary, source: SessionSource) -> list[str]:
    """Overview and key-point items that are not whole sentences of the turns the mode
    reads (a whole sentence may lose its leading fillers and gain a capital)."""
    lines = [line for t in _read_turns(source) for line in t.splitlines()]
    return [s for s in summary.overview + summary.key_points if not _whole(s, lines)]


def _whole(sentence: str, lines: Sequence[str]) -> bool:
    for line in lines:
        for form in {sentence, sentence[:1].lower() + sentence[1:]}:
            start = line.find(form)
            while start >= 0:
                before = _BOUNDARY.split(line[:start])[-1]
                rest = line[start + len(form) :]
                ends = bool(_TERMINAL.search(sentence)) or not rest.strip()
                if _FILLERS_ONLY.match(before) and ends:
                    return True
                start = line.find(form, start + 1)
    return False


def _read_turns(source: SessionSource) -> list[str]:
    turns = source.turns
    if source.mode is Mode.SELF_REPORT:
        turns = [t for t in turns if t.role is Role.CANDIDATE]
    return [t.text for t in turns]


def ungrounded(summary: SessionSummary, source: SessionSource) -> list[str]:
    """Fact items whose quote is not in the cited turn (or cites the interviewer in
    SELF_REPORT), or whose numbers the transcript never says."""
    said = _numbers(t.text for t in source.turns)
    bad: list[str] = []
    for fact in _session_facts(summary):
        turn = fact.evidence.turn
        text = source.turns[turn].text if turn < len(source.turns) else ""
        interviewer = source.turns[turn].role is Role.INTERVIEWER if text else False
        if fact.evidence.quote not in text or (source.mode is Mode.SELF_REPORT and interviewer):
            bad.append(f"quote: {fact.evidence.quote!r}")
        elif not _numbers_said(fact, said):
            bad.append(f"number: {fact.value!r}")
    return bad


def ungrounded_profile(profile: ProfileSummary, sources: dict[str, SessionSource]) -> list[str]:
    """Profile facts whose quote is not in the cited session's turn."""
    bad = []
    for fact in profile.facts:
        source = sources.get(fact.evidence.session_id)
        turns = source.turns if source else []
        turn = fact.evidence.turn
        if turn >= len(turns) or fact.evidence.quote not in turns[turn].text:
            bad.append(f"quote: {fact.evidence.quote!r}")
    return bad


def _session_facts(summary: SessionSummary) -> list[Fact]:
    facts = summary.facts
    groups: list[Sequence[Fact]] = [
        facts.role,
        facts.experience,
        facts.achievements,
        facts.motivation,
        facts.reason_for_leaving,
        facts.constraints,
        facts.skills,
        facts.statements,
    ]
    return [f for group in groups for f in group]


def _numbers(texts: Iterable[str]) -> set[float]:
    found: set[float] = set()
    for text in texts:
        for number in find_numbers(text):
            found.add(round(number.value, 6))
            if number.high is not None:
                found.add(round(number.high, 6))
    return found


def _numbers_said(fact: Fact, said: set[float]) -> bool:
    values = [q.value for q in fact.quantities] + [
        q.high for q in fact.quantities if q.high is not None
    ]
    values += [n.value for n in find_numbers(fact.value)]
    return all(round(v, 6) in said for v in values)
