"""The worker's lifecycle appends on a real Redis: ``task-started`` goes out without the
task waiting for Redis' answer, which the thread's next append reads."""

import threading
import time
from collections.abc import Iterator

import pytest
import redis
from structlog.testing import capture_logs

from services.worker.lifecycle import LifecycleStream
from shared.settings import CommonSettings


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


def _in_use(stream: LifecycleStream) -> int:
    return len(stream._redis().connection_pool._in_use_connections)  # type: ignore[attr-defined]


def test_started_is_on_the_stream_before_its_answer_is_read(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    stream.started("t-1", retries=0)
    deadline = time.monotonic() + 5
    while not _steps(client, name) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _steps(client, name) == [("task-started", "t-1")]
    assert _in_use(stream) == 1, "its connection waits, out of the pool, for the answer"
    stream.succeeded("t-1", {"overview": []})
    assert _steps(client, name) == [("task-started", "t-1"), ("task-succeeded", "t-1")]
    assert _in_use(stream) == 0, "the answer was read and the connection given back"
    [started] = [f for _, f in client.xrange(name) if f["type"] == "task-started"]  # type: ignore[union-attr]
    assert started["retries"] == "0"


def test_a_refused_started_is_logged_by_the_next_append_and_raises_nothing(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    client.set(name, "not a stream")
    stream.started("t-1", retries=0)  # WRONGTYPE: read with the next append
    client.delete(name)
    with capture_logs() as logs:
        stream.emit("task-failed", "t-1", exception="ValueError('x')")
    [warning] = [e for e in logs if e["event"] == "lifecycle_append_failed"]
    assert warning["task_id"] == "t-1"
    assert "WRONGTYPE" in warning["error"]
    assert _steps(client, name) == [("task-failed", "t-1")]
    assert _in_use(stream) == 0


def test_each_thread_reads_its_own_answer(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    """A threads pool: several tasks start at once, each through its own connection."""
    stream, client, name = lifecycle
    both_started = threading.Barrier(2)
    errors: list[BaseException] = []

    def task(task_id: str) -> None:
        try:
            stream.started(task_id, retries=0)
            both_started.wait(5)  # the other thread's answer is unread too
            stream.succeeded(task_id, {"overview": [task_id]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=task, args=(f"t-{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    steps = _steps(client, name)
    for task_id in ("t-1", "t-2"):
        assert steps.index(("task-started", task_id)) < steps.index(("task-succeeded", task_id))
    assert len(steps) == 4
    assert _in_use(stream) == 0
