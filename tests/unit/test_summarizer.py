"""The built-in engines on small, made-up sessions: modes, errors, stats, registry."""

import pytest

from contracts.summary import SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer import (
    ExtractiveSummarizer,
    NothingToSummarize,
    SessionSource,
    Summarizer,
    Turn,
)
from services.worker.summarizer.fake import FakeSummarizer
from services.worker.summarizer.registry import build_summarizer
from services.worker.summarizer.text import word_count

INTERVIEWER_LINE = (
    "I have personally managed the Zanzibar billing cluster for nine years at this company."
)


def _source(mode: Mode, turns: list[tuple[Role, str]]) -> SessionSource:
    speakers = {Role.CANDIDATE: "Casey", Role.INTERVIEWER: "Ivan"}
    return SessionSource(
        session_id="s1",
        candidate_id="c1",
        mode=mode,
        turns=[Turn(role=role, speaker=speakers[role], text=text) for role, text in turns],
    )


def _exchange(mode: Mode) -> SessionSource:
    return _source(
        mode,
        [
            (Role.INTERVIEWER, INTERVIEWER_LINE + " Tell me about your background?"),
            (
                Role.CANDIDATE,
                "I have been a backend engineer for five years. I mostly build payment APIs "
                "in Python. Before that I worked in support.",
            ),
            (Role.INTERVIEWER, "What was your biggest project?"),
            (
                Role.CANDIDATE,
                "Um, so I led the migration of our payment APIs to a new ledger service. "
                "The migration took nine months and we moved every payment without downtime. "
                "I also wrote the runbooks for the ledger service.",
            ),
            (Role.INTERVIEWER, "How do you test payment code?"),
            (
                Role.CANDIDATE,
                "I write property tests for the ledger rules and contract tests for the APIs. Yes.",
            ),
        ],
    )


def test_self_report_never_quotes_the_interviewer() -> None:
    summary = ExtractiveSummarizer().summarize_session(_exchange(Mode.SELF_REPORT))
    for line in summary.overview + summary.key_points:
        assert "Zanzibar" not in line
        assert "Tell me" not in line
    assert "zanzibar" not in [t.lower() for t in summary.topics]


def test_interview_prefers_answers_in_the_overview() -> None:
    summary = ExtractiveSummarizer().summarize_session(_exchange(Mode.INTERVIEW))
    assert not any("?" in line for line in summary.overview)
    assert not any("Zanzibar" in line for line in summary.overview)


def test_overview_strips_leading_filler_but_keeps_the_sentence() -> None:
    summary = ExtractiveSummarizer().summarize_session(_exchange(Mode.SELF_REPORT))
    assert "I led the migration of our payment APIs to a new ledger service." in summary.overview


def test_overview_is_three_sentences_in_source_order() -> None:
    source = _exchange(Mode.SELF_REPORT)
    summary = ExtractiveSummarizer().summarize_session(source)
    assert len(summary.overview) == 3
    text = " ".join(t.text for t in source.turns)
    positions = [text.find(s[1:]) for s in summary.overview]
    assert positions == sorted(positions)


def test_short_source_gives_fewer_sentences() -> None:
    source = _source(Mode.SELF_REPORT, [(Role.CANDIDATE, "I build data pipelines in Scala.")])
    summary = ExtractiveSummarizer().summarize_session(source)
    assert summary.overview == ["I build data pipelines in Scala."]
    assert summary.topics


def test_speakers_cover_every_turn_whatever_the_mode() -> None:
    source = _exchange(Mode.SELF_REPORT)
    summary = ExtractiveSummarizer().summarize_session(source)
    assert {s.speaker for s in summary.speakers} == {"Casey", "Ivan"}
    assert sum(s.turns for s in summary.speakers) == len(source.turns)
    assert sum(s.share for s in summary.speakers) == pytest.approx(1.0)
    assert summary.source.words == sum(word_count(t.text) for t in source.turns)
    assert summary.source.content_hash == source.content_hash
    assert (summary.engine, summary.engine_version) == ("extractive", "3.0")


def test_self_report_without_candidate_turns_raises() -> None:
    source = _source(Mode.SELF_REPORT, [(Role.INTERVIEWER, "Candidate did not show up.")])
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        ExtractiveSummarizer().summarize_session(source)


def test_self_report_with_only_fillers_raises() -> None:
    source = _source(Mode.SELF_REPORT, [(Role.CANDIDATE, "Um... uh.")])
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        ExtractiveSummarizer().summarize_session(source)


@pytest.mark.parametrize("mode", [Mode.INTERVIEW, Mode.NOTES])
def test_session_without_text_raises(mode: Mode) -> None:
    source = _source(mode, [(Role.INTERVIEWER, "   "), (Role.CANDIDATE, "...")])
    with pytest.raises(NothingToSummarize, match="session has no text to summarize"):
        ExtractiveSummarizer().summarize_session(source)


def test_notes_read_interviewer_turns() -> None:
    source = _source(
        Mode.NOTES,
        [
            (Role.INTERVIEWER, "Strong on Kafka and stream processing.\nWeak on testing."),
            (Role.INTERVIEWER, "Recommendation: hire at senior level."),
        ],
    )
    summary = ExtractiveSummarizer().summarize_session(source)
    assert "Recommendation: hire at senior level." in summary.overview
    assert summary.mode is Mode.NOTES


def test_same_input_gives_the_same_summary() -> None:
    engine = ExtractiveSummarizer()
    first = engine.summarize_session(_exchange(Mode.INTERVIEW))
    again = ExtractiveSummarizer().summarize_session(_exchange(Mode.INTERVIEW))
    assert first.model_dump() == again.model_dump()


def test_registry_builds_engines_by_name() -> None:
    assert isinstance(build_summarizer("extractive"), ExtractiveSummarizer)
    assert isinstance(build_summarizer("fake"), FakeSummarizer)
    with pytest.raises(ValueError, match="extractive, fake"):
        build_summarizer("gpt")


@pytest.mark.parametrize("name", ["extractive", "fake"])
def test_engines_satisfy_the_protocol(name: str) -> None:
    engine: Summarizer = build_summarizer(name)
    summary = engine.summarize_session(_exchange(Mode.INTERVIEW))
    assert SessionSummary.model_validate_json(summary.model_dump_json()) == summary
    assert summary.engine == name


def test_fake_engine_quotes_the_first_sentence_the_mode_reads() -> None:
    summary = FakeSummarizer().summarize_session(_exchange(Mode.SELF_REPORT))
    assert summary.overview == ["I have been a backend engineer for five years."]
    assert summary.topics == []
    assert summary.key_points == []
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        FakeSummarizer().summarize_session(
            _source(Mode.SELF_REPORT, [(Role.INTERVIEWER, "Hello?")])
        )
