"""The worker's lifecycle appends: ``append`` (a success: the only durable copy of a
pipeline task's result) is retried while Redis is away, then raised; ``emit`` is best
effort."""

from typing import Any

import pytest
import redis

from services.worker import lifecycle
from services.worker.lifecycle import LifecycleStream
from shared.lifecycle import LifecycleEntry, LifecycleEvent, TaskFacts
from shared.settings import CommonSettings


def succeeded(result_json: str = "{}") -> LifecycleEntry:
    facts = TaskFacts("session", "c", "s", "SELF_REPORT")
    return LifecycleEntry(
        LifecycleEvent.SUCCEEDED, "t-1", 1.0, facts=facts, result_json=result_json
    )


class FlakyRedis:
    """Fails the first ``failures`` XADDs with ``error``, as a restarting Redis does."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        self.calls = 0
        self.entries: list[dict[str, Any]] = []

    def xadd(self, stream: str, entry: dict[str, Any]) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        self.entries.append(entry)
        return "1-0"


def _stream(client: FlakyRedis, monkeypatch: pytest.MonkeyPatch) -> LifecycleStream:
    stream = LifecycleStream(CommonSettings())
    monkeypatch.setattr(stream, "_redis", lambda: client)
    return stream


def test_a_success_is_appended_once_redis_is_back(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FlakyRedis(failures=3)
    _stream(client, monkeypatch).append(succeeded('{"overview":["Ada led the migration."]}'))
    assert client.calls == 4
    [entry] = client.entries
    assert (entry["type"], entry["uuid"]) == ("task-succeeded", "t-1")
    assert entry["result_json"] == '{"overview":["Ada led the migration."]}'


def test_a_success_that_cannot_be_appended_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "DURABLE_SECONDS", 0.3)
    client = FlakyRedis(failures=1000)
    with pytest.raises(redis.ConnectionError):
        _stream(client, monkeypatch).append(succeeded())
    assert 2 <= client.calls < 10  # retried with backoff until the deadline
    assert client.entries == []


def test_a_refused_success_is_raised_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FlakyRedis(failures=1, error=redis.ResponseError("READONLY replica"))
    with pytest.raises(redis.ResponseError):
        _stream(client, monkeypatch).append(succeeded())
    assert client.calls == 1  # not a connection problem: the task's own retry handles it


def test_a_best_effort_step_is_tried_once_and_never_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = FlakyRedis(failures=1)
    _stream(client, monkeypatch).emit(LifecycleEntry(LifecycleEvent.RETRIED, "t-1", 1.0))
    assert client.calls == 1
    assert client.entries == []
