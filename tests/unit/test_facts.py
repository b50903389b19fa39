"""The fact layer of the built-in engine, on small hand-written sessions."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.summary import FactKind, SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer import ExtractiveSummarizer, SessionSource, Turn
from services.worker.summarizer.base import SessionWithSummary
from services.worker.summarizer.facts.corrections import find_corrections
from services.worker.summarizer.facts.numbers import find_numbers
from services.worker.summarizer.facts.quantities import measure
from tests.transcripts import to_source


def _session(
    *turns: tuple[str, str], mode: Mode = Mode.SELF_REPORT, sid: str = "s-1", day: int = 1
) -> SessionSource:
    return SessionSource(
        session_id=sid,
        candidate_id="c-1",
        mode=mode,
        turns=[
            Turn(role=Role(role), speaker="Interviewer" if role == "interviewer" else "Sam", text=t)
            for role, t in turns
        ],
        occurred_at=datetime(2026, 3, day, tzinfo=UTC),
    )


def _summary(*turns: tuple[str, str], mode: Mode = Mode.SELF_REPORT) -> SessionSummary:
    return ExtractiveSummarizer().summarize_session(_session(*turns, mode=mode))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _text(summary: Any) -> str:
    return "\n".join(_strings(summary.model_dump(mode="json"))).lower()


def _values(text: str) -> list[tuple[float, float | None]]:
    return [(n.value, n.high) for n in find_numbers(text)]


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("twenty-eight students", [(28, None)]),
        ("one hundred and twenty beds", [(120, None)]),
        ("a band of 120 to 140k", [(120_000, 140_000)]),
        ("between $95,000 and $110,000", [(95_000, 110_000)]),
        ("1.2 million in revenue", [(1_200_000, None)]),
        ("three or four months", [(3, 4)]),
        ("I'd be looking for one seventy base", [(170, None)]),
        ("since twenty twenty-one", [(2021, None)]),
        ("two and a half years", [(2.5, None)]),
        ("from 45 minutes to 8", [(45, None), (8, None)]),
    ],
)
def test_numbers_are_read_as_said(said: str, values: list[tuple[float, float | None]]) -> None:
    assert _values(said) == values


def test_a_number_keeps_its_unit() -> None:
    text = "a 38-bed unit, forty percent less overtime and three months' notice"
    units = [measure(text, n).unit for n in find_numbers(text)]
    assert units == ["bed", "percent", "month"]


@pytest.mark.parametrize(
    ("said", "old", "new"),
    [
        ("it was 2020, no, sorry, 2021", "2020", "2021"),
        ("a crew of twelve, well, fourteen", "twelve", "fourteen"),
        ("since 2021, no, sorry, since 2020", "2021", "2020"),
        ("about 45 minutes, actually more like 50", "45", "50"),
        ("we moved to Leeds. No, sorry, Manchester.", "Leeds", "Manchester"),
    ],
)
def test_self_corrections_are_found(said: str, old: str, new: str) -> None:
    [correction] = find_corrections(said)
    assert said[slice(*correction.old)] == old
    assert said[slice(*correction.new)] == new


@pytest.mark.parametrize("said", ["I have 5, not 6", "in 2019 and 2020", "one, two, three"])
def test_lists_and_negations_are_no_corrections(said: str) -> None:
    assert find_corrections(said) == []


def test_a_corrected_value_is_never_in_the_summary() -> None:
    summary = _summary(
        ("interviewer", "When did you join Brightwell?"),
        ("candidate", "I joined Brightwell in 2020, no, sorry, 2021, as a senior accountant."),
        ("interviewer", "How big is your team?"),
        ("candidate", "I lead a crew of twelve, well, fourteen people on the night shift."),
    )
    text = _text(summary)
    assert "2021" in text
    assert "fourteen" in text
    assert "2020" not in text
    assert "twelve" not in text


def test_constraints_are_found_with_their_kind() -> None:
    summary = _summary(
        ("interviewer", "What is your notice period?"),
        ("candidate", "My notice period is three months."),
        ("interviewer", "Would you relocate?"),
        ("candidate", "Yes, we are moving to Denver this summer."),
        ("interviewer", "Do you need sponsorship?"),
        ("candidate", "I'm on an H-1B visa, so I would need a transfer."),
        ("interviewer", "What salary are you looking for?"),
        ("candidate", "I'm looking for around one sixty base."),
        ("interviewer", "And remote work?"),
        ("candidate", "I can only work fully remote, because of my kids."),
    )
    kinds = {c.kind: c for c in summary.facts.constraints}
    assert set(kinds) >= {
        FactKind.NOTICE,
        FactKind.LOCATION,
        FactKind.AUTHORIZATION,
        FactKind.COMPENSATION,
        FactKind.REMOTE,
    }
    assert [(q.value, q.unit) for q in kinds[FactKind.NOTICE].quantities] == [(3, "month")]
    assert [q.value for q in kinds[FactKind.COMPENSATION].quantities] == [160]
    assert "Denver" in kinds[FactKind.LOCATION].evidence.quote


def test_role_experience_and_an_achievement_with_its_figures() -> None:
    summary = _summary(
        ("interviewer", "Tell me about your current role."),
        (
            "candidate",
            "I'm a senior data engineer at Freshcart, and I've been doing this for nine years."
            " Um, honestly, the thing I'm proudest of is that we cut the deploy time from"
            " forty-five minutes to eight.",
        ),
    )
    facts = summary.facts
    assert facts.role[0].value == "senior data engineer"
    assert [q.value for q in facts.experience[0].quantities] == [9]
    achievement = facts.achievements[0]
    assert [(q.value, q.unit) for q in achievement.quantities] == [(45, "minute"), (8, "")]
    assert achievement.direction == "down"


_BAND = "The band for this role is 120 to 140k, and we'd like you to start on April 6th."


def test_self_report_never_quotes_the_interviewer() -> None:
    summary = _summary(
        ("interviewer", _BAND),
        ("candidate", "That works for me. My notice period is four weeks."),
    )
    assert "140k" not in _text(summary)
    for item in summary.facts.constraints:
        assert item.evidence.speaker_role is Role.CANDIDATE


def test_interview_mode_keeps_the_terms_the_interviewer_states() -> None:
    summary = _summary(
        ("interviewer", _BAND),
        ("candidate", "That works for me. My notice period is four weeks."),
        mode=Mode.INTERVIEW,
    )
    said = {c.kind: c for c in summary.facts.constraints}
    assert said[FactKind.COMPENSATION].evidence.speaker_role is Role.INTERVIEWER
    assert [(q.value, q.high) for q in said[FactKind.COMPENSATION].quantities] == [
        (120_000, 140_000)
    ]
    assert "April 6th" in said[FactKind.AVAILABILITY].evidence.quote
    assert said[FactKind.NOTICE].evidence.speaker_role is Role.CANDIDATE


_LONG = [
    ("interviewer", "Tell me about yourself."),
    (
        "candidate",
        "So, um, I'm a charge nurse in a twenty-bed ICU, and I've worked in intensive care for"
        " eleven years. I moved us to self-rostering, and agency spending went down by about"
        " forty percent in the first year.",
    ),
    ("interviewer", "Why are you leaving?"),
    ("candidate", "Our hospital was acquired, and I want to work closer to operations."),
    ("interviewer", "When could you start?"),
    ("candidate", "I could start in June, after six weeks' notice."),
]


def test_every_quote_is_part_of_its_turn_and_the_summary_is_deterministic() -> None:
    source = _session(*_LONG)
    first = ExtractiveSummarizer().summarize_session(source)
    again = ExtractiveSummarizer().summarize_session(source)
    assert first.model_dump_json() == again.model_dump_json()
    items = [i for group in first.facts.model_dump().values() for i in group]
    assert len(items) >= 5
    for item in items:
        turn = source.turns[item["evidence"]["turn"]]
        assert item["evidence"]["quote"] in turn.text
    assert first.schema_version == 2


def test_the_overview_leads_with_facts_and_key_points_do_not_repeat_it() -> None:
    summary = ExtractiveSummarizer().summarize_session(_session(*_LONG))
    assert summary.overview[0].startswith("I'm a charge nurse")
    assert not {p.lower() for p in summary.key_points} & {o.lower() for o in summary.overview}


def test_a_profile_keeps_the_newest_value_and_what_recurs() -> None:
    engine = ExtractiveSummarizer()
    older = _session(
        ("interviewer", "What is your notice period?"),
        ("candidate", "My contract has a three-month notice period."),
        ("interviewer", "Would you relocate?"),
        ("candidate", "Yes, I'd relocate to Denver."),
        sid="s-1",
        day=1,
    )
    newer = _session(
        ("interviewer", "Any update on your notice?"),
        ("candidate", "I negotiated my notice period down to six weeks."),
        ("interviewer", "Still moving?"),
        ("candidate", "Yes, I'm moving to Denver in May."),
        sid="s-2",
        day=20,
    )
    sessions = [SessionWithSummary(s, engine.summarize_session(s)) for s in (older, newer)]
    profile = engine.summarize_profile("c-1", sessions)
    text = _text(profile)
    assert "six weeks" in text
    assert "three-month" not in text
    notice = next(f for f in profile.facts if f.kind is FactKind.NOTICE)
    assert notice.changed
    assert notice.sessions == ["s-2"]
    denver = next(f for f in profile.facts if f.kind is FactKind.LOCATION)
    assert denver.sessions == ["s-1", "s-2"]


def test_the_readme_shows_the_demo_summary_as_the_engine_writes_it() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- demo-summary -->\n```json\n", 1)[1].split("\n```", 1)[0]
    demo = json.loads((root / "services" / "cli" / "demo_sessions.json").read_text())[0]
    summary = ExtractiveSummarizer().summarize_session(to_source(demo))
    assert json.loads(block) == summary.model_dump(mode="json", exclude={"speakers", "source"})
