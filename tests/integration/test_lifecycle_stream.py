"""The worker's lifecycle appends on a real Redis: ``task-started`` goes out without the
task waiting for an answer, and leaves none behind for the connection's next user."""

from collections.abc import Iterator
from typing import Any

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


def test_without_client_reply_started_waits_for_its_answer(
    lifecycle: tuple[LifecycleStream, redis.Redis, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server or proxy that does not know CLIENT REPLY would answer the "skipped"
    commands after all, into the connection's next user: such a server is asked once, and
    the append then waits for its answer like any other."""
    stream, client, name = lifecycle
    probes = []

    def unknown(self: redis.Redis, reply: str) -> None:
        probes.append(reply)
        raise redis.ResponseError("unknown subcommand 'REPLY'")

    monkeypatch.setattr(redis.Redis, "client_reply", unknown)
    sent: list[Any] = []
    monkeypatch.setattr(redis.Connection, "send_packed_command", _recording(sent))
    stream.started("t-1", retries=0)
    stream.started("t-2", retries=0)
    assert probes == ["ON"], "asked once"
    assert not any(b"SKIP" in bytes(part) for command in sent for part in command)
    assert _steps(client, name) == [("task-started", "t-1"), ("task-started", "t-2")]
    assert stream._redis().echo("next") == "next"


def _recording(sent: list[Any]) -> Any:
    original = redis.Connection.send_packed_command

    def send(self: redis.Connection, command: Any, check_health: bool = True) -> None:
        sent.append(command if isinstance(command, list) else [command])
        original(self, command, check_health)

    return send
