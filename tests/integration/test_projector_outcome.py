"""The projector finishes a task from its terminal lifecycle entry alone (real Redis; the
result backend replaced by a stub that returns a chosen meta)."""

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis

from contracts.events import SummarizationCompleted, SummarizationFailed, SummarizationRequested
from contracts.types import Mode, Role
from services.projector.projector import Projector
from services.worker.summarizer import SessionSource, Turn
from services.worker.summarizer.fake import FakeSummarizer
from shared import keys
from shared.lifecycle import ErrorInfo, LifecycleEntry, LifecycleEvent, TaskFacts
from shared.settings import CommonSettings
from shared.task_state import StateConfig, StateWriter, accept

E = LifecycleEvent
FACTS = TaskFacts("session", "c", "s", "SELF_REPORT")


class StubResults:
    def __init__(self, meta: dict[str, Any] | None) -> None:
        self._meta = meta
        self.reads = 0

    def meta(self, task_id: str) -> dict[str, Any] | None:
        self.reads += 1
        return self._meta


@pytest.fixture
def writer(client: redis.Redis, settings: CommonSettings) -> StateWriter:
    writer = StateWriter(client, StateConfig.of(settings))
    request = SummarizationRequested(
        task_id="t-1", kind="session", candidate_id="c", session_id="s", idempotency_key="k"
    )
    writer.apply(accept(request))
    return writer


def projector(writer: StateWriter, results: StubResults) -> Projector:
    return Projector(writer, results.meta, "lifecycle")


def summary() -> dict[str, Any]:
    turn = Turn(role=Role.CANDIDATE, speaker="Ada", text="I led the migration to Postgres.")
    source = SessionSource(session_id="s", candidate_id="c", mode=Mode.SELF_REPORT, turns=[turn])
    result: dict[str, Any] = FakeSummarizer().summarize_session(source).model_dump(mode="json")
    return result


def entry(event: LifecycleEvent, ts: float, attempt: int = 1, **fields: Any) -> LifecycleEntry:
    if event.is_terminal:
        fields.setdefault("facts", FACTS)
    return LifecycleEntry(event, "t-1", ts, attempt=attempt, retries=attempt - 1, **fields)


def started_at(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def outcome(client: redis.Redis, stream: str) -> dict[str, Any]:
    [(_, fields)] = client.xrange(stream)  # type: ignore[misc]
    event: dict[str, Any] = orjson.loads(orjson.loads(fields[b"__data__"])["data"])
    return event


def test_a_task_started_and_finished_in_one_batch_has_its_outcome_from_its_entry(
    writer: StateWriter, client: redis.Redis, settings: CommonSettings
) -> None:
    """Under load a batch holds a task's start and its end: the outcome is the terminal
    entry's (that attempt, that start), whatever the record said before the batch."""
    results = StubResults(None)
    now = time.time()
    result_json = orjson.dumps(summary()).decode()
    batch = [
        entry(E.STARTED, now, facts=FACTS),
        entry(E.RETRIED, now + 0.01, error=ErrorInfo("OSError", "disk"), retry_in=0.5),
        entry(E.STARTED, now + 0.02, 2, facts=FACTS),
        entry(
            E.SUCCEEDED, now + 0.03, 2, started_at=started_at(now + 0.02), result_json=result_json
        ),
    ]
    assert projector(writer, results).apply(batch) == [1, 1, 1, 2]
    event = SummarizationCompleted.model_validate(outcome(client, settings.stream_completed))
    assert event.attempts == 2
    assert event.started_at is not None
    assert event.started_at.timestamp() == pytest.approx(now + 0.02, abs=0.001)
    assert event.summary.model_dump(mode="json") == summary()
    assert results.reads == 0, "a success needs no result backend"


def test_a_failure_in_the_batch_of_its_last_start_dead_letters_that_attempt(
    writer: StateWriter, client: redis.Redis, settings: CommonSettings
) -> None:
    meta = {"status": "FAILURE", "kwargs": {"transcript": [{"role": "candidate", "text": "x"}]}}
    now = time.time()
    down = ErrorInfo("OSError", "disk")
    batch = [
        entry(E.STARTED, now, 3, facts=FACTS),
        entry(E.RETRIED, now + 0.01, 3, error=down, retry_in=2.0),
        entry(E.STARTED, now + 0.02, 4, facts=FACTS),
        entry(E.FAILED, now + 0.03, 4, started_at=started_at(now + 0.02), error=down),
    ]
    assert projector(writer, StubResults(meta)).apply(batch) == [1, 1, 1, 2]
    event = SummarizationFailed.model_validate(outcome(client, settings.stream_failed))
    assert (event.attempts, event.error.type, event.error.retryable) == (4, "OSError", True)
    [(_, letter)] = client.xrange(settings.stream_tasks_dlq)  # type: ignore[misc]
    assert letter[b"attempts"] == b"4"
    assert letter[b"reason"] == b"retries exhausted: OSError: disk"
    assert letter[b"idempotency_key"] == b"k"
    payload = orjson.loads(letter[b"payload"])
    assert (payload["task_id"], payload["session_id"]) == ("t-1", "s")
    assert payload["transcript"] == meta["kwargs"]["transcript"]  # type: ignore[index]
    chain = orjson.loads(letter[b"errors"])
    assert [link["attempt"] for link in chain] == ["3", "4"]  # the retry's, then the last
    assert chain[0]["retry_in"] == "2.000"


def test_a_stale_start_in_the_batch_changes_nothing(
    writer: StateWriter, client: redis.Redis, settings: CommonSettings
) -> None:
    now = time.time()
    batch = [
        entry(E.STARTED, now + 0.01, 2, facts=FACTS),
        entry(E.STARTED, now, 6, facts=FACTS),  # older
    ]
    assert projector(writer, StubResults(None)).apply(batch) == [1, 0]
    record = client.hgetall(keys.status(writer.config.prefix, "t-1"))
    assert record[b"attempts"] == b"2"  # type: ignore[index]


def test_a_permanent_failure_is_not_dead_lettered(
    writer: StateWriter, client: redis.Redis, settings: CommonSettings
) -> None:
    results = StubResults(None)
    missing = ErrorInfo("SessionNotFound", "session s not found", permanent=True)
    failed = entry(E.FAILED, time.time(), started_at=started_at(time.time()), error=missing)
    assert projector(writer, results).apply([failed]) == [2]
    assert not SummarizationFailed.model_validate(
        outcome(client, settings.stream_failed)
    ).error.retryable
    assert not client.exists(settings.stream_tasks_dlq)
    assert results.reads == 0


def test_an_entry_that_cannot_be_projected_is_skipped_not_the_batch(
    writer: StateWriter, client: redis.Redis, settings: CommonSettings
) -> None:
    now = time.time()
    no_request = LifecycleEntry(E.SUCCEEDED, "t-1", now, result_json="{}")  # no facts
    started = entry(E.STARTED, now, facts=FACTS)
    assert projector(writer, StubResults(None)).apply([no_request, started]) == [0, 1]
    assert not client.exists(settings.stream_completed)
