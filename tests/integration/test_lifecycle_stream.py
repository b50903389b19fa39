"""The worker's lifecycle appends on a real Redis: ``task-started`` goes out without the
task waiting for an answer, and leaves none behind for the connection's next user."""

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


def _pool(stream: LifecycleStream) -> tuple[int, int]:
    """(connections in the pool, connections in use)."""
    pool = stream._redis().connection_pool
    return len(pool._available_connections), len(pool._in_use_connections)  # type: ignore[attr-defined]


def test_started_is_appended_and_leaves_no_answer_behind(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    stream.started("t-1", retries=0)
    assert _pool(stream) == (1, 0), "its connection is back in the pool at once"
    # the connection's next command reads its own answer, not an XADD's entry id
    assert stream._redis().echo("next") == "next"
    stream.succeeded("t-1", {"overview": []})
    assert _steps(client, name) == [("task-started", "t-1"), ("task-succeeded", "t-1")]
    [started] = [f for _, f in client.xrange(name) if f["type"] == "task-started"]  # type: ignore[union-attr]
    assert started["retries"] == "0"
    assert _pool(stream) == (1, 0), "one connection served every append"


def test_a_refused_started_raises_nothing_and_spoils_nothing(
    lifecycle: tuple[LifecycleStream, redis.Redis, str],
) -> None:
    stream, client, name = lifecycle
    client.set(name, "not a stream")
    stream.started("t-1", retries=0)  # WRONGTYPE, unanswered
    assert stream._redis().echo("next") == "next"
    client.delete(name)
    stream.emit("task-failed", "t-1", exception="ValueError('x')")
    assert _steps(client, name) == [("task-failed", "t-1")]


def test_started_while_redis_is_away_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    stream = LifecycleStream(CommonSettings())
    with capture_logs() as logs:
        stream.started("t-1", retries=0)
    [warning] = [e for e in logs if e["event"] == "lifecycle_append_failed"]
    assert warning["task_id"] == "t-1"
    assert _pool(stream)[1] == 0
