"""Contracts: round trips, validation messages, and committed schemas in sync."""

import json

import pytest
from pydantic import ValidationError

from contracts import (
    SummarizationCompleted,
    SummarizationFailed,
    SummarizationRequested,
    SummarizeSessionRequest,
)
from contracts.events import TaskError
from contracts.export import drift, render
from contracts.summary import (
    Achievement,
    Constraint,
    Evidence,
    FactKind,
    ProfileSummary,
    Quantity,
    SessionFacts,
    SessionSummary,
)


def test_requested_round_trips_through_json() -> None:
    event = SummarizationRequested(
        task_id="t-1",
        kind="session",
        candidate_id="c-1",
        session_id="s-1",
        mode="INTERVIEW",
        idempotency_key="k-1",
        transcript=[{"role": "candidate", "speaker": "Ada", "text": "I build pipelines."}],
    )
    again = SummarizationRequested.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.schema_version == 1
    assert again.occurred_at.tzinfo is not None


def test_session_request_needs_a_session_id() -> None:
    with pytest.raises(ValidationError, match="session_id is required"):
        SummarizationRequested(task_id="t", kind="session", candidate_id="c")


def test_profile_request_refuses_a_transcript() -> None:
    with pytest.raises(ValidationError, match="transcript is only allowed"):
        SummarizationRequested(
            task_id="t",
            kind="profile",
            candidate_id="c",
            transcript=[{"role": "candidate", "text": "x"}],
        )


def test_unknown_fields_and_versions_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        SummarizationRequested.model_validate(
            {"task_id": "t", "kind": "profile", "candidate_id": "c", "schema_version": 2}
        )
    assert info.value.errors()[0]["loc"] == ("schema_version",)
    with pytest.raises(ValidationError) as info:
        SummarizeSessionRequest.model_validate(
            {"session_id": "s", "candidate_id": "c", "mood": "x"}
        )
    assert info.value.errors()[0]["loc"] == ("mood",)


def test_outcome_events_round_trip() -> None:
    failed = SummarizationFailed(
        task_id="t",
        kind="session",
        session_id="s",
        candidate_id="c",
        error=TaskError(type="SessionNotFound", message="session s not found"),
    )
    assert SummarizationFailed.model_validate_json(failed.model_dump_json()) == failed
    summary = {
        "type": "profile",
        "candidate_id": "c",
        "overview": ["Ada builds data pipelines."],
        "recurring_topics": [{"topic": "kafka", "count": 2}],
        "timeline": [],
        "highlights": [],
        "coverage": {"sessions": 2, "words": 900},
        "engine": "extractive",
        "engine_version": "2.0",
    }
    done = SummarizationCompleted(task_id="t", kind="profile", candidate_id="c", summary=summary)
    again = SummarizationCompleted.model_validate_json(done.model_dump_json())
    assert again.summary.type == "profile"
    assert again == done


def test_committed_schemas_match_the_models() -> None:
    assert drift() == [], "run `python -m contracts.export` and commit contracts/schemas"


def test_drift_is_detected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name, text in render().items():
        (tmp_path / name).write_text(text)
    assert drift(tmp_path) == []
    (tmp_path / "summarization.requested.v1.json").write_text("{}")
    assert drift(tmp_path) == ["summarization.requested.v1.json"]


_V1_SESSION = {
    "type": "session",
    "schema_version": 1,
    "mode": "SELF_REPORT",
    "overview": ["I moved our batch jobs to Kafka."],
    "key_points": ["Moved batch jobs to Kafka"],
    "topics": ["kafka"],
    "speakers": [{"speaker": "Ada", "role": "candidate", "turns": 1, "words": 7, "share": 1.0}],
    "source": {"session_id": "s-1", "turns": 1, "words": 7, "content_hash": "ab"},
    "engine": "extractive",
    "engine_version": "2.0",
}


def test_a_version_1_session_summary_still_parses() -> None:
    summary = SessionSummary.model_validate_json(json.dumps(_V1_SESSION))
    assert summary.schema_version == 1
    assert summary.facts.is_empty()
    assert summary.model_dump(mode="json", exclude={"facts"}) == _V1_SESSION


def test_a_version_1_summary_cannot_carry_facts() -> None:
    facts = {"skills": [{"value": "Kafka", "evidence": _EVIDENCE}]}
    with pytest.raises(ValidationError, match="facts need schema_version 2"):
        SessionSummary.model_validate({**_V1_SESSION, "facts": facts})


_EVIDENCE = {"turn": 0, "quote": "to Kafka", "speaker_role": "candidate"}


def test_a_version_2_summary_round_trips_with_its_facts() -> None:
    facts = SessionFacts(
        achievements=[
            Achievement(
                value="cut the deploy time from 45 minutes to 8",
                quantities=[
                    Quantity(value=45, unit="minute", text="45 minutes"),
                    Quantity(value=8, unit="minute", text="8"),
                ],
                direction="down",
                evidence=Evidence(
                    turn=0,
                    quote="cut the deploy time from 45 minutes to 8",
                    speaker_role="candidate",
                ),
            )
        ],
        constraints=[
            Constraint(kind="notice", value="3 months", evidence=Evidence.model_validate(_EVIDENCE))
        ],
    )
    summary = SessionSummary.model_validate({**_V1_SESSION, "schema_version": 2, "facts": facts})
    assert SessionSummary.model_validate_json(summary.model_dump_json()) == summary
    assert summary.facts.constraints[0].kind is FactKind.NOTICE
    assert (
        SessionSummary.model_validate(
            {k: v for k, v in _V1_SESSION.items() if k != "schema_version"}
        ).schema_version
        == 2
    )


def test_unknown_summary_versions_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        SessionSummary.model_validate({**_V1_SESSION, "schema_version": 3})
    assert info.value.errors()[0]["loc"] == ("schema_version",)


def test_a_version_1_profile_still_parses_and_a_completed_event_carries_v2() -> None:
    profile = {
        "type": "profile",
        "schema_version": 1,
        "candidate_id": "c",
        "overview": ["One session."],
        "recurring_topics": [],
        "timeline": [],
        "highlights": [],
        "coverage": {"sessions": 1, "words": 7},
        "engine": "extractive",
        "engine_version": "2.0",
    }
    assert ProfileSummary.model_validate(profile).facts == []
    fact = {
        "kind": "notice",
        "value": "3 months",
        "sessions": ["s-1", "s-2"],
        "changed": True,
        "evidence": {**_EVIDENCE, "session_id": "s-2"},
    }
    done = SummarizationCompleted(
        task_id="t",
        kind="profile",
        candidate_id="c",
        summary={**profile, "schema_version": 2, "facts": [fact]},
    )
    again = SummarizationCompleted.model_validate_json(done.model_dump_json())
    assert isinstance(again.summary, ProfileSummary)
    assert again.summary.facts[0].changed


@pytest.mark.parametrize("text", [" ", "\n\t  "])
def test_a_blank_turn_is_invalid_by_the_schema_as_by_the_service(text: str) -> None:
    """A client that validates against the published schema is not surprised by a 422:
    the schema's pattern (a JSON Schema pattern matches anywhere, as ``re.search``) refuses
    what the service refuses."""
    import re

    from contracts.api import SessionCreate

    turn = SessionCreate.model_json_schema()["$defs"]["TurnIn"]["properties"]["text"]
    assert re.search(turn["pattern"], text) is None
    assert re.search(turn["pattern"], " a ") is not None
    with pytest.raises(ValidationError):
        SessionCreate.model_validate(
            {"candidate_id": "c1", "turns": [{"role": "candidate", "text": text}]}
        )
