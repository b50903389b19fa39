"""The worker's lifecycle appends on a real Redis: ``task-started`` goes out without the
task waiting for its answer, which the thread's next append reads."""

import threading
from collections.abc import Iterator

import pytest
import redis
from structlog.testing import capture_logs

from services.worker.lifecycle import LifecycleStream
from shared.lifecycle import ErrorInfo, LifecycleEntry, LifecycleEvent, TaskFacts
from shared.settings import CommonSettings

E = LifecycleEvent


def step(
    stream: LifecycleStream, event: LifecycleEvent, task_id: str, **fields: object
) -> LifecycleEntry:
    if event.is_terminal:
        fields.setdefault("facts", TaskFacts("session", "c", "s", "SELF_REPORT"))
    return stream.entry(event, task_id, **fields)  # type: ignore[arg-type]


@pytest.fixture
def lifecycle(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LifecycleStream, redis.Redis, str]]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = CommonSettings()
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield LifecycleStream(settings), client, settings.stream_lifecycle
    client.close()


def _steps(client: redis.Redis, stream: str) -> list[tuple[str, str]]:
    return [(f["type"], f["uuid"]) for _, f in client.xrange(stream)]  # type: ignore[union-attr]


def _unread(stream: LifecycleStream) -> list[str]:
    return list(stream._own.unread)


def test_started_is_appended_and_its_answer_read_by_the_next_append(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    stream.started(step(stream, E.STARTED, "t-1"))
    assert _unread(stream) == ["t-1"], "the task did not wait for the answer"
    stream.append(step(stream, E.SUCCEEDED, "t-1", result_json='{"overview": []}'))
    assert _unread(stream) == []
    assert _steps(client, name) == [("task-started", "t-1"), ("task-succeeded", "t-1")]
    [started] = [f for _, f in client.xrange(name) if f["type"] == "task-started"]  # type: ignore[union-attr]
    assert started["retries"] == "0"
    stream.started(step(stream, E.STARTED, "t-2", retries=1))  # the same connection again
    stream.emit(step(stream, E.FAILED, "t-2", error=ErrorInfo("ValueError", "x")))
    assert _steps(client, name)[2:] == [("task-started", "t-2"), ("task-failed", "t-2")]


def test_a_refused_started_is_logged_by_the_next_append_and_raises_nothing(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    client.set(name, "not a stream")
    stream.started(step(stream, E.STARTED, "t-1"))  # WRONGTYPE, read later
    with capture_logs() as logs:
        stream.settle()
    [warning] = [e for e in logs if e["event"] == "lifecycle_append_failed"]
    assert warning["task_id"] == "t-1"
    assert "WRONGTYPE" in warning["error"]
    client.delete(name)
    stream.started(step(stream, E.STARTED, "t-2"))
    stream.append(step(stream, E.SUCCEEDED, "t-2", result_json="{}"))
    assert _steps(client, name) == [("task-started", "t-2"), ("task-succeeded", "t-2")]


def test_started_while_redis_is_away_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    stream = LifecycleStream(CommonSettings())
    with capture_logs() as logs:
        stream.started(step(stream, E.STARTED, "t-1"))
    [warning] = [e for e in logs if e["event"] == "lifecycle_append_failed"]
    assert warning["task_id"] == "t-1"
    assert _unread(stream) == []


def test_each_thread_reads_its_own_answers(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    """A threads pool: tasks start at once, each thread with its own connection."""
    stream, client, name = lifecycle
    both_started = threading.Barrier(2)
    connections: dict[str, int] = {}
    errors: list[BaseException] = []

    def task(task_id: str) -> None:
        try:
            stream.started(step(stream, E.STARTED, task_id))
            assert _unread(stream) == [task_id]
            connections[task_id] = id(stream._own.connection)
            both_started.wait(5)  # the other thread's answer is unread too
            stream.append(step(stream, E.SUCCEEDED, task_id, result_json="{}"))
            assert _unread(stream) == []
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=task, args=(f"t-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert connections["t-1"] != connections["t-2"]
    steps = _steps(client, name)
    for task_id in ("t-1", "t-2"):
        assert steps.index(("task-started", task_id)) < steps.index(("task-succeeded", task_id))
    assert len(steps) == 4
