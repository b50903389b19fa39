"""The worker's main process, run for real (prefork): readiness, task events, timers."""

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from shared.celery_app import make_celery
from shared.settings import CommonSettings
from tests.stack import Stack, wait_for

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]


@pytest.fixture
def worker(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    env = {
        **stack_env,
        "SUMMARIZER_ENGINE": "fake",
        "LOG_LEVEL": "DEBUG",
        "WORKER_TIMER_PURGE_SECONDS": "1",
        "WORKER_EVENT_FLUSH_SECONDS": "0.5",
    }
    stack = Stack(env, tmp_path)
    try:
        yield stack.start("worker")
    finally:
        stack.stop()


def test_readiness_polled_from_start_does_not_stall_the_consumer(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    # Probed from the first moment, as Kubernetes does. A Celery ping sent while the
    # consumer was starting left its queue poll deaf (no task, no ping answered) until
    # kombu dropped the connection as stale, 26 s later.
    stack = Stack({**stack_env, "SUMMARIZER_ENGINE": "fake"}, tmp_path)
    try:
        worker = stack.start("worker").services["worker"]
        answers: list[str] = []

        def ready() -> bool:
            try:
                response = stack.ops("worker")
            except httpx.HTTPError:
                return False
            answers.append(response.json()["checks"]["celery"])
            return response.status_code == 200

        wait_for(ready, 20, "the worker's /readyz", every=0.1)
        assert answers[0] == "error: RuntimeError: the worker is starting"  # probed early
        assert "got no reply" not in worker.logs()
    finally:
        stack.stop()


def _settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CommonSettings:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return CommonSettings()


def _send(settings: CommonSettings, i: int) -> Any:
    return make_celery(settings).send_task(
        "summarization.summarize_session",
        kwargs={"session_id": f"s{i}", "candidate_id": "c", "transcript": TRANSCRIPT},
        queue=settings.queue_session,
    )


def test_task_events_are_published_in_batches(
    worker: Stack, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(stack_env, monkeypatch)
    subscriber = redis.Redis.from_url(settings.redis_url).pubsub()
    subscriber.psubscribe(f"{settings.celery_key_prefix}*celeryev/task.multi")
    for i in range(10):  # one at a time: Celery alone would publish each task's events apart
        _send(settings, i).get(timeout=60)

    messages, events = 0, []
    while (message := subscriber.get_message(timeout=2)) is not None:
        if message["type"] == "pmessage":
            messages += 1
            body = json.loads(message["data"])["body"]
            events += json.loads(base64.b64decode(body))
    subscriber.close()
    kinds = [event["type"] for event in events]
    for kind in ("task-received", "task-started", "task-succeeded"):
        assert kinds.count(kind) == 10, kinds
    assert messages <= 5, f"{len(events)} task events in {messages} messages"


def test_task_events_still_buffered_are_published_when_the_worker_stops(
    stack_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(stack_env, monkeypatch)
    env = {**stack_env, "SUMMARIZER_ENGINE": "fake", "WORKER_EVENT_FLUSH_SECONDS": "600"}
    stack = Stack(env, tmp_path)
    subscriber = redis.Redis.from_url(settings.redis_url).pubsub()
    subscriber.psubscribe(f"{settings.celery_key_prefix}*celeryev/task.multi")
    try:
        stack.start("worker")
        for i in range(3):
            _send(settings, i).get(timeout=60)
    finally:
        stack.stop()  # SIGTERM: a warm shutdown, long before the 600 s flush
    kinds = []
    while (message := subscriber.get_message(timeout=2)) is not None:
        if message["type"] == "pmessage":
            body = json.loads(message["data"])["body"]
            kinds += [event["type"] for event in json.loads(base64.b64decode(body))]
    subscriber.close()
    assert kinds.count("task-succeeded") == 3, kinds


def test_cancelled_time_limit_timers_are_swept(
    worker: Stack, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(stack_env, monkeypatch)
    results = [_send(settings, i) for i in range(20)]
    for result in results:
        result.get(timeout=60)

    def swept() -> int:
        removed = 0
        for line in worker.services["worker"].logs().splitlines():
            if '"cancelled_timers_purged"' in line:
                removed += json.loads(line)["removed"]
        return removed

    # every task armed a soft-limit timer (25 min) and cancelled it when it finished
    wait_for(lambda: swept() >= len(results), 10, "the sweep of 20 tasks' timers")
