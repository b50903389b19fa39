"""Lifecycle entries -> transitions (the projector's table of handlers), and the entry
format the worker and the projector share."""

import orjson
import pytest

from contracts.status import TaskStatus
from services.projector.handlers import HANDLERS, plan
from services.projector.results import error_of
from shared.lifecycle import ErrorInfo, LifecycleEntry, LifecycleEvent, TaskFacts
from shared.task_state import TransitionName
from tests.integration.test_projector_outcome import summary

E = LifecycleEvent
FACTS = TaskFacts("session", "c", "s", "INTERVIEW")


def entry(event: LifecycleEvent, **fields: object) -> LifecycleEntry:
    return LifecycleEntry(event, "t1", 1_700_000_000.0, attempt=2, facts=FACTS, **fields)  # type: ignore[arg-type]


SUMMARY = orjson.dumps(summary()).decode()


def no_meta(task_id: str) -> None:
    raise AssertionError("not read")


def test_every_entry_type_has_its_transition() -> None:
    expected = {
        E.STARTED: (TransitionName.START, TaskStatus.STARTED),
        E.RETRIED: (TransitionName.RETRY, TaskStatus.RETRY),
        E.SUCCEEDED: (TransitionName.SUCCEED, TaskStatus.SUCCESS),
        E.FAILED: (TransitionName.FAIL, TaskStatus.FAILURE),
        E.REVOKED: (TransitionName.REVOKE, TaskStatus.REVOKED),
    }
    assert set(HANDLERS) == set(LifecycleEvent)
    permanent = ErrorInfo("SessionNotFound", "gone", permanent=True)
    for event, (name, status) in expected.items():
        planned = plan(entry(event, result_json=SUMMARY, error=permanent), no_meta)
        assert (planned.change.name, planned.change.status) == (name, status)
        assert (planned.outcome is not None) == event.is_terminal


def test_a_retry_records_the_error_as_fields_and_a_link_of_the_chain() -> None:
    down = ErrorInfo("LLMUnavailable", "timed out")
    change = plan(entry(E.RETRIED, error=down, retry_in=2.04), no_meta).change
    assert change.fields["error_type"] == "LLMUnavailable"
    assert change.fields["error"] == "timed out"
    assert change.fields["retryable"] == "1"
    link = orjson.loads(change.failure)
    assert link["attempt"] == "2"
    assert (link["error_type"], link["error_message"], link["permanent"]) == (
        "LLMUnavailable",
        "timed out",
        "0",
    )
    assert link["retry_in"] == "2.040"


def test_a_transient_failure_is_dead_lettered_with_its_arguments() -> None:
    meta = {"kwargs": {"transcript": [{"role": "candidate", "text": "hi"}]}, "queue": "long"}
    planned = plan(entry(E.FAILED, error=ErrorInfo("OSError", "disk")), lambda _: meta)
    letter = planned.change.dead_letter
    assert letter is not None
    assert letter["reason"] == "retries exhausted: OSError: disk"
    assert orjson.loads(letter["payload"])["transcript"] == meta["kwargs"]["transcript"]  # type: ignore[index]
    assert letter["source"] == "long"
    assert planned.outcome is not None
    assert planned.outcome.error.retryable  # type: ignore[union-attr]


def test_a_revoked_task_fails_with_the_revoked_status() -> None:
    planned = plan(entry(E.REVOKED, expired=True), no_meta)
    assert planned.outcome is not None
    assert planned.outcome.status == "REVOKED"  # type: ignore[union-attr]
    assert planned.outcome.error.message == "task expired"  # type: ignore[union-attr]
    assert planned.change.dead_letter is None


def test_a_terminal_entry_without_its_request_is_refused() -> None:
    bare = LifecycleEntry(E.SUCCEEDED, "t1", 1.0, result_json="{}")
    with pytest.raises(ValueError, match="without the task's request"):
        plan(bare, no_meta)


def test_an_entry_survives_the_stream() -> None:
    sent = entry(
        E.RETRIED, retries=1, worker="w:1", traceparent="00-ab-cd-01",
        error=ErrorInfo("E", "m", True), retry_in=0.25,
    )  # fmt: skip
    fields = sent.to_fields()
    assert all(isinstance(value, str) for value in fields.values())
    assert LifecycleEntry.from_fields(fields) == sent


def test_a_repaired_error_is_read_from_the_backend_and_kept_for_a_redrive() -> None:
    """The backend's meta does not say whether retrying helps, whatever the exception's
    class: the failure is reported transient (dead-lettered)."""

    class SessionNotFound(Exception):
        pass

    error = error_of({"status": "FAILURE", "result": SessionNotFound("session s1 not found")})
    assert error == ErrorInfo("SessionNotFound", "session s1 not found", permanent=False)
