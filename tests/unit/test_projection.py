"""Lifecycle entries -> status steps (a table of handlers)."""

from contracts.status import TaskStatus
from contracts.streams import TaskNames
from services.projector.outcome import task_error
from services.projector.projection import step_for


def test_each_event_type_maps_to_its_status() -> None:
    base = {"uuid": "t1", "timestamp": 1_700_000_000.0, "hostname": "w@h"}
    expected = {
        "task-started": TaskStatus.STARTED,
        "task-retried": TaskStatus.RETRY,
        "task-succeeded": TaskStatus.SUCCESS,
        "task-failed": TaskStatus.FAILURE,
        "task-revoked": TaskStatus.REVOKED,
    }
    for event_type, status in expected.items():
        step = step_for({**base, "type": event_type, "name": TaskNames.SESSION})
        assert step is not None, event_type
        assert step.status is status, event_type


def test_started_counts_attempts() -> None:
    step = step_for({"type": "task-started", "uuid": "t", "timestamp": 1.0, "attempt": 3})
    assert step is not None
    assert step.fields["attempts"] == "3"


def test_celery_only_and_worker_events_are_ignored() -> None:
    assert step_for({"type": "task-received", "uuid": "t", "timestamp": 1.0}) is None
    assert step_for({"type": "worker-heartbeat", "timestamp": 1.0}) is None


def test_task_error_is_as_the_worker_reported_it() -> None:
    reported = {"error_type": "LLMRequestRejected", "error_message": "HTTP 400", "permanent": "1"}
    error = task_error(reported, None)
    assert (error.type, error.message, error.retryable) == ("LLMRequestRejected", "HTTP 400", False)
    transient = task_error({**reported, "permanent": "0"}, None)
    assert transient.retryable


def test_a_repaired_error_is_read_from_the_backend_and_kept_for_a_redrive() -> None:
    """The backend's meta does not say whether retrying helps, whatever module the
    exception came from: the failure is reported retryable (dead-lettered)."""
    meta = {
        "status": "FAILURE",
        "result": {
            "exc_type": "SessionNotFound",
            "exc_message": ["session s1 not found"],
            "exc_module": "shared.errors",
        },
    }
    error = task_error({}, meta)
    assert (error.type, error.message, error.retryable) == (
        "SessionNotFound",
        "session s1 not found",
        True,
    )
