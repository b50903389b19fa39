"""The LLM engine holds the model's answer to the transcript (``tests.chat_stub`` server).

A quote that is not in the turn it cites, a number the transcript never says, the prompt's
own instructions echoed back, evidence from the interviewer in SELF_REPORT, a value the
speaker corrected: each makes the answer malformed. It is asked again once, with the
reason; then the built-in engine answers (``SUMMARIZER_FALLBACK=extractive``) or the
task fails, never a SUCCESS with an ungrounded summary.
"""

import json
import re
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.summary import SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer import SessionSource, SessionWithSummary, Turn
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import LLMAnswerInvalid
from services.worker.summarizer.llm.parsing import MAX_FACTS
from tests.chat_stub import (
    ChatServer,
    Reply,
    answer,
    chat,
    engine_logs,
    fact,
    make_engine,
    make_source,
    running,
    summary,
)

CASEY = "I moved billing to Kafka in nine months."


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running() as chat_server:
        yield chat_server


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    with engine_logs(monkeypatch) as captured:
        yield captured


def grounded(source: SessionSource, result: SessionSummary) -> None:
    """Every fact's quote is an exact span of the turn it cites, said by that turn's role."""
    for _, items in result.facts:
        for item in items:
            turn = source.turns[item.evidence.turn]
            assert item.evidence.quote in turn.text
            assert item.evidence.speaker_role is turn.role


def test_turns_are_numbered_and_facts_keep_the_exact_span_of_the_session_turn(
    server: ChatServer,
) -> None:
    server.then(
        summary(
            facts={
                "skills": [fact(2, "  i MOVED billing to kafka ", "Kafka")],
                "achievements": [fact(2, "“billing to Kafka in nine months.”", direction="up")],
                "constraints": [fact(1, "the Zanzibar billing cluster", kind="location")],
            }
        )
    )
    source = make_source(Mode.INTERVIEW)
    result = make_engine(server.url).summarize_session(source)
    assert "[1] Ivan (interviewer): Ivan asked" in server.prompts[0]
    assert "[2] Casey (candidate): Marker T000" in server.prompts[0]
    [skill] = result.facts.skills
    assert (skill.value, skill.evidence.turn, skill.evidence.quote) == (
        "Kafka",
        1,
        "I moved billing to Kafka",
    ), "the turn's own text, whatever the case and spacing the model used"
    assert skill.evidence.speaker_role is Role.CANDIDATE
    [done] = result.facts.achievements
    assert done.evidence.quote == "billing to Kafka in nine months"
    assert done.direction == "up"
    assert [(q.value, q.unit, q.text) for q in done.quantities] == [(9, "month", "nine months")]
    [where] = result.facts.constraints
    assert (where.kind, where.evidence.turn, where.evidence.speaker_role) == (
        "location",
        0,
        Role.INTERVIEWER,
    ), "in INTERVIEW mode the interviewer's facts belong in the summary"
    grounded(source, result)


def _first_turn_fact(request: dict[str, Any]) -> Reply:
    """Answers each chunk with a fact quoting the chunk's turn [1] ("Marker T0nn")."""
    prompt = request["messages"][1]["content"]
    marker = re.search(r"^\[1\] Casey \(candidate\): (Marker T\d{3})", prompt, re.M)
    if marker is None:
        return answer(request)
    return summary(facts={"statements": [fact(1, marker.group(1))]})(request)


def test_chunks_number_their_turns_from_one_and_facts_map_back_to_the_session(
    server: ChatServer,
) -> None:
    server.default = _first_turn_fact
    source = make_source(Mode.SELF_REPORT, answers=60, words=60)
    llm = make_engine(server.url, llm_context_tokens=2048, llm_max_output_tokens=256)
    result = llm.summarize_session(source)
    chunks = [p for p in server.prompts if "<transcript>" in p]
    assert len(chunks) > MAX_FACTS
    assert all(p.count("[1] Casey") == 1 for p in chunks), "each chunk starts at [1]"
    firsts = [re.search(r"\[1\] Casey \(candidate\): (Marker T\d{3})", p) for p in chunks]
    expected = [int(m.group(1)[-3:]) + 1 for m in firsts if m]
    turns = [item.evidence.turn for item in result.facts.statements]
    assert turns == expected[:MAX_FACTS], "the session's own index of each chunk's turn [1]"
    grounded(source, result)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            summary(facts={"skills": [fact(2, "I led the Kafka team", "Kafka")]}),
            'facts.skills.0: the quote "I led the Kafka team" is not in turn 2',
        ),
        (
            summary(facts={"skills": [fact(9, CASEY, "Kafka")]}),
            "facts.skills.0: turn 9 is not a numbered turn",
        ),
        (summary(key_points=["Cut billing costs by 40 percent"]), "40 is not in the transcript"),
        (summary(overview=["It took forty weeks."]), "forty is not in the transcript"),
        (
            summary(facts={"experience": [fact(2, CASEY, "12 years of Kafka")]}),
            "12 is not in the transcript",
        ),
        (
            summary(overview=["3 to 5 complete sentences, in the order the session goes"]),
            "not in the transcript",
        ),
        (
            summary(overview=["Three to five whole sentences on what this part says."]),
            "repeats the instructions",
        ),
        (summary(overview=["key_points"]), "repeats the instructions"),
        (summary(topics=["kafka", "reason_for_leaving"]), "is a field name, not a topic"),
    ],
)
def test_an_ungrounded_answer_is_asked_again_with_the_reason(
    server: ChatServer,
    logs: list[MutableMapping[str, Any]],
    bad: Callable[[dict[str, Any]], Reply],
    reason: str,
) -> None:
    server.then(bad)
    result = make_engine(server.url).summarize_session(make_source())
    assert result.engine == "llm", "the second answer was grounded"
    assert len(server.requests) == 2
    retry = server.requests[1].body["messages"][1]["content"]
    assert reason in retry, "the model is told why"
    [rejected] = [e for e in logs if e["event"] == "llm_answer_malformed"]
    assert (rejected["reason"], rejected["attempt"]) == ("ungrounded", 1)


def test_an_answer_in_the_transcript_s_own_numbers_is_grounded(server: ChatServer) -> None:
    server.then(
        summary(
            overview=["Casey moved billing to Kafka in 9 months."],
            facts={"achievements": [fact(2, CASEY, "Kafka in 9 months")]},
        )
    )
    result = make_engine(server.url).summarize_session(make_source())
    assert result.overview == ["Casey moved billing to Kafka in 9 months."]
    assert len(server.requests) == 1, '"nine" grounds "9"'


def test_twice_ungrounded_falls_back_to_the_built_in_engine(
    server: ChatServer, logs: list[MutableMapping[str, Any]]
) -> None:
    bad = summary(facts={"skills": [fact(2, "I led the Kafka team", "Kafka")]})
    server.then(bad, bad)
    source = make_source(Mode.SELF_REPORT, answers=2)
    result = make_engine(server.url, summarizer_fallback="extractive").summarize_session(source)
    assert result == ExtractiveSummarizer().summarize_session(source)
    assert [e["reason"] for e in logs if e["event"] == "llm_answer_malformed"] == [
        "ungrounded",
        "ungrounded",
    ]
    [fallback] = [e for e in logs if e["event"] == "llm_fallback"]
    assert "is not grounded in the transcript" in fallback["error"]


def test_twice_ungrounded_fails_without_a_fallback(server: ChatServer) -> None:
    bad = summary(overview=["It took forty weeks."])
    server.then(bad, bad)
    with pytest.raises(LLMAnswerInvalid, match="LLM answer is not grounded in the transcript"):
        make_engine(server.url).summarize_session(make_source())


def test_self_report_evidence_comes_from_the_candidate_only(server: ChatServer) -> None:
    """Only the candidate's turns are numbered; the interviewer's words are in none."""
    source = make_source(Mode.SELF_REPORT, answers=2)
    quoting_ivan = summary(
        facts={"constraints": [fact(1, "Zanzibar billing cluster", kind="location")]}
    )
    server.then(quoting_ivan, quoting_ivan)
    with pytest.raises(LLMAnswerInvalid, match='"Zanzibar billing cluster" is not in turn 1'):
        make_engine(server.url).summarize_session(source)
    assert "[1] Casey (candidate): Marker T000" in server.prompts[0]
    assert "[3]" not in server.prompts[0], "two candidate turns, numbered 1 and 2"


def test_a_value_the_speaker_corrected_is_not_a_fact(server: ChatServer) -> None:
    said = "I joined in 2020, no, sorry, 2021, as a backend engineer."
    source = SessionSource(
        "s1", "c1", Mode.SELF_REPORT, [Turn(Role.CANDIDATE, "Casey", said)], None
    )
    old = summary(
        overview=["Casey joined in 2021."], facts={"experience": [fact(1, said, "joined in 2020")]}
    )
    new = summary(
        overview=["Casey joined in 2021."],
        facts={"experience": [fact(1, "2021, as a backend engineer", "joined in 2021")]},
    )
    server.then(old, new)
    result = make_engine(server.url).summarize_session(source)
    assert "facts.experience.0: turn 1 corrects 2020" in server.prompts[1]
    assert [f.value for f in result.facts.experience] == ["joined in 2021"]
    assert [q.value for q in result.facts.experience[0].quantities] == [2021]


def test_profile_answers_are_held_to_the_session_summaries(
    server: ChatServer, logs: list[MutableMapping[str, Any]]
) -> None:
    source = make_source(Mode.SELF_REPORT, answers=2)
    sessions = [SessionWithSummary(source, ExtractiveSummarizer().summarize_session(source))]
    invented = {
        "overview": ["Casey has 14 years in payments."],
        "recurring_topics": [],
        "highlights": [],
    }
    server.then(lambda _: chat(json.dumps(invented)))
    profile = make_engine(server.url).summarize_profile("c1", sessions)
    assert profile.engine == "llm"
    assert "14 is not in the transcript" in server.prompts[1]


def _notice_sessions() -> list[SessionWithSummary]:
    """Two sessions of one candidate; the notice period changed between them."""
    sessions = []
    for day, notice in ((1, "four weeks"), (2, "two weeks")):
        said = f"My notice period is {notice}. {CASEY}"
        turns = [
            Turn(Role.INTERVIEWER, "Ivan", "Your notice?"),
            Turn(Role.CANDIDATE, "Casey", said),
        ]
        source = SessionSource(
            f"s{day}", "c1", Mode.SELF_REPORT, turns, datetime(2024, 3, day, tzinfo=UTC)
        )
        sessions.append(
            SessionWithSummary(source, ExtractiveSummarizer().summarize_session(source))
        )
    return sessions


def test_a_profile_has_the_built_in_profile_facts_and_never_a_superseded_value(
    server: ChatServer,
) -> None:
    sessions = _notice_sessions()
    stale = {
        "overview": ["Casey has a notice period of four weeks."],
        "recurring_topics": [],
        "highlights": [],
    }
    server.then(lambda _: chat(json.dumps(stale)))
    profile = make_engine(server.url).summarize_profile("c1", sessions)
    assert profile.engine == "llm"
    assert (
        '"Casey has a notice period of four weeks." repeats a value a later session changed'
        in server.prompts[1]
    )
    built_in = ExtractiveSummarizer().summarize_profile("c1", sessions)
    assert profile.facts == built_in.facts
    [notice] = profile.facts
    assert notice.changed
    assert "two weeks" in notice.value
