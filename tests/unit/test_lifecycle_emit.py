"""The worker's lifecycle appends: ``task-succeeded`` (the only durable copy of a
pipeline task's result) is retried through a Redis outage; the other steps are not."""

from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.worker import lifecycle
from services.worker.lifecycle import LifecycleStream
from shared.settings import CommonSettings


class FlakyRedis:
    """Refuses the first ``failures`` XADDs, as a restarting Redis does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.entries: list[dict[str, Any]] = []

    def xadd(self, stream: str, entry: dict[str, Any]) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        self.entries.append(entry)
        return "1-0"


def _stream(client: FlakyRedis, monkeypatch: pytest.MonkeyPatch) -> LifecycleStream:
    stream = LifecycleStream(CommonSettings())
    monkeypatch.setattr(stream, "_redis", lambda: client)
    return stream


def test_a_durable_step_is_appended_once_redis_is_back(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FlakyRedis(failures=3)
    _stream(client, monkeypatch).emit("task-succeeded", "t-1", durable=True, result_json="{}")
    assert client.calls == 4
    [entry] = client.entries
    assert (entry["type"], entry["uuid"], entry["result_json"]) == ("task-succeeded", "t-1", "{}")


def test_a_best_effort_step_is_tried_once_and_never_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = FlakyRedis(failures=1)
    _stream(client, monkeypatch).emit("task-started", "t-1", retries=0)
    assert client.calls == 1
    assert client.entries == []


def test_a_durable_step_gives_up_after_its_retries_without_raising(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lifecycle, "DURABLE_RETRY", Retry(NoBackoff(), retries=2))
    client = FlakyRedis(failures=10)
    _stream(client, monkeypatch).emit("task-succeeded", "t-1", durable=True)
    assert client.calls == 3
    assert client.entries == []
