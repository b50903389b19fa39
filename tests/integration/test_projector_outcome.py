"""The projector finishes a task from what carries its result (real Redis; the result
backend replaced by a stub that returns a chosen meta)."""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest
import redis
from structlog.testing import capture_logs

from contracts.events import SummarizationRequested
from contracts.status import TaskStatus
from contracts.types import Mode, Role
from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from services.worker.summarizer import SessionSource, Turn
from services.worker.summarizer.fake import FakeSummarizer
from shared.redis_client import sync_redis
from shared.status_view import Transition, TransitionWriter, pending_fields


class StubResults:
    def __init__(self, meta: dict[str, Any] | None) -> None:
        self._meta = meta
        self.reads = 0

    def meta(self, task_id: str) -> dict[str, Any] | None:
        self.reads += 1
        return self._meta


@pytest.fixture
def settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> ProjectorSettings:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return ProjectorSettings()


@pytest.fixture
def client(settings: ProjectorSettings) -> Iterator[redis.Redis]:
    c = sync_redis(settings.redis_url, decode=False)
    yield c
    c.close()


def started_task(writer: TransitionWriter) -> str:
    event = SummarizationRequested(task_id="t-1", kind="session", candidate_id="c", session_id="s")
    fields = pending_fields(event)
    writer.apply(Transition("t-1", TaskStatus.PENDING, time.time(), fields, may_create=True))
    started = {"started_at": "2026-11-29T00:00:00+00:00"}
    assert writer.apply(Transition("t-1", TaskStatus.STARTED, time.time(), started)) == 1
    return "t-1"


def summary() -> dict[str, Any]:
    turn = Turn(role=Role.CANDIDATE, speaker="Ada", text="I led the migration to Postgres.")
    source = SessionSource(session_id="s", candidate_id="c", mode=Mode.SELF_REPORT, turns=[turn])
    result: dict[str, Any] = FakeSummarizer().summarize_session(source).model_dump(mode="json")
    return result


def succeeded(task_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "task-succeeded", "uuid": task_id, "timestamp": time.time(), **fields}


def test_a_success_without_its_result_waits_for_the_lifecycle_entry(
    settings: ProjectorSettings, client: redis.Redis
) -> None:
    # the task was retried, then succeeded: the backend holds only the retry's meta
    retry_meta = {"status": "RETRY", "result": {"exc_type": "ConnectionError"}}
    results = StubResults(retry_meta)
    writer = TransitionWriter(client, settings.key_prefix, 3600, 1000, settings.stream_tasks_dlq)
    projector = Projector(settings, writer, results)  # type: ignore[arg-type]
    task_id = started_task(writer)

    with capture_logs() as logs:
        assert projector.on_event(succeeded(task_id)) == 0  # Celery's copy: no result in it
    assert [e["event"] for e in logs] == ["success_without_result_skipped"]  # not an error
    assert writer.read(task_id)["status"] == "STARTED"
    assert client.xlen(settings.stream_completed) == 0

    result_json = orjson.dumps(summary()).decode()
    assert projector.on_event(succeeded(task_id, result_json=result_json)) == 2
    record = writer.read(task_id)
    assert record["status"] == "SUCCESS"
    assert orjson.loads(record["summary"]) == summary()
    assert results.reads == 1  # the lifecycle entry needed no backend read


def test_a_success_stored_in_the_backend_is_repaired_from_it(
    settings: ProjectorSettings, client: redis.Redis
) -> None:
    results = StubResults({"status": "SUCCESS", "result": summary()})  # a delay() caller's
    writer = TransitionWriter(client, settings.key_prefix, 3600, 1000, settings.stream_tasks_dlq)
    projector = Projector(settings, writer, results)  # type: ignore[arg-type]
    task_id = started_task(writer)
    assert projector.on_event(succeeded(task_id)) == 2
    assert orjson.loads(writer.read(task_id)["summary"]) == summary()


def _outcome(client: redis.Redis, stream: str) -> dict[str, Any]:
    [(_, fields)] = client.xrange(stream)  # type: ignore[misc]
    event: dict[str, Any] = orjson.loads(orjson.loads(fields[b"__data__"])["data"])
    return event


def test_a_task_started_and_finished_in_one_batch_has_its_outcome_from_after_its_start(
    settings: ProjectorSettings, client: redis.Redis
) -> None:
    """Under load a lifecycle batch holds a task's start and its end: the outcome event
    carries that attempt and that start, not the record as it was before the batch."""
    writer = TransitionWriter(client, settings.key_prefix, 3600, 1000, settings.stream_tasks_dlq)
    projector = Projector(settings, writer, StubResults(None))  # type: ignore[arg-type]
    task_id = started_task(writer)  # attempt 1 started
    now = time.time()
    batch = [
        {"type": "task-retried", "uuid": task_id, "timestamp": now, "retries": 0},
        {"type": "task-started", "uuid": task_id, "timestamp": now + 0.01, "retries": 1},
        succeeded(task_id, timestamp=now + 0.02, result_json=orjson.dumps(summary()).decode()),
    ]
    assert projector.apply_batch(batch) == [1, 1, 2]
    event = _outcome(client, settings.stream_completed)
    assert event["attempts"] == 2
    started_at = datetime.fromisoformat(event["started_at"])
    assert started_at == datetime.fromisoformat(writer.read(task_id)["started_at"])
    assert started_at.timestamp() == pytest.approx(now + 0.01, abs=0.001)  # not attempt 1's


def test_a_failure_in_the_batch_of_its_last_start_dead_letters_that_attempt(
    settings: ProjectorSettings, client: redis.Redis
) -> None:
    meta = {"status": "FAILURE", "result": {"exc_type": "OSError", "exc_message": "disk"}}
    writer = TransitionWriter(client, settings.key_prefix, 3600, 1000, settings.stream_tasks_dlq)
    projector = Projector(settings, writer, StubResults(meta))  # type: ignore[arg-type]
    task_id = started_task(writer)
    now = time.time()
    batch = [
        {"type": "task-retried", "uuid": task_id, "timestamp": now, "retries": 2},
        {"type": "task-started", "uuid": task_id, "timestamp": now + 0.01, "retries": 3},
        {"type": "task-failed", "uuid": task_id, "timestamp": now + 0.02, "exception": "OSError"},
    ]
    assert projector.apply_batch(batch) == [1, 1, 2]
    assert _outcome(client, settings.stream_failed)["attempts"] == 4
    [(_, letter)] = client.xrange(settings.stream_tasks_dlq)  # type: ignore[misc]
    assert letter[b"attempts"] == b"4"
    chain = orjson.loads(letter[b"errors"])
    assert [entry["attempt"] for entry in chain] == ["3", "4"]  # the retry's, then the last


def test_a_stale_start_in_the_batch_changes_nothing(
    settings: ProjectorSettings, client: redis.Redis
) -> None:
    """The script ignores a non-terminal step older than the record: so does the batch."""
    writer = TransitionWriter(client, settings.key_prefix, 3600, 1000, settings.stream_tasks_dlq)
    projector = Projector(settings, writer, StubResults(None))  # type: ignore[arg-type]
    task_id = started_task(writer)
    now = time.time()
    batch = [
        {"type": "task-started", "uuid": task_id, "timestamp": now + 0.01, "retries": 1},
        {"type": "task-started", "uuid": task_id, "timestamp": now, "retries": 5},  # older
        succeeded(task_id, timestamp=now + 0.02, result_json=orjson.dumps(summary()).decode()),
    ]
    assert projector.apply_batch(batch) == [1, 0, 2]
    event = _outcome(client, settings.stream_completed)
    assert event["attempts"] == 2
    started_at = datetime.fromisoformat(event["started_at"])
    assert started_at.timestamp() == pytest.approx(now + 0.01, abs=0.001)
