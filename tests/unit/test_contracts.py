"""Contracts: round trips, validation messages, and committed schemas in sync."""

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
