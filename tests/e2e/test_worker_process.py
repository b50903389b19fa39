"""The worker's main process, run for real (prefork): readiness, monitors' events, timers."""

import base64
import json
import time
from collections.abc import Callable, Iterator
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


def _event_subscriber(settings: CommonSettings) -> Any:
    """A pub/sub subscription to the worker's task events (one or a batch a message)."""
    subscriber = redis.Redis.from_url(settings.redis_url).pubsub()
    subscriber.psubscribe(f"{settings.celery_key_prefix}*celeryev/task.*")
    return subscriber


def _task_events(
    subscriber: Any, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 15
) -> tuple[list[dict[str, Any]], int]:
    """Celery task events read off the pub/sub channel until ``until`` holds (or the
    timeout), and the number of messages they came in."""
    events: list[dict[str, Any]] = []
    messages = 0
    deadline = time.monotonic() + timeout
    while not until(events) and time.monotonic() < deadline:
        message = subscriber.get_message(timeout=0.5)
        if message is not None and message["type"] == "pmessage":
            messages += 1
            body = json.loads(base64.b64decode(json.loads(message["data"])["body"]))
            events += body if isinstance(body, list) else [body]
    return events, messages


def _succeeded(count: int) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: sum(e["type"] == "task-succeeded" for e in events) >= count


def test_task_events_are_off_until_a_monitor_turns_them_on(
    worker: Stack, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task's steps reach the projector on the lifecycle stream: no task event is
    published for nobody. Flower turns them on (``enable_events``), as any monitor may."""
    settings = _settings(stack_env, monkeypatch)
    subscriber = _event_subscriber(settings)
    _send(settings, 0).get(timeout=60)
    events, _ = _task_events(subscriber, _succeeded(1), timeout=2)
    assert events == []
    _enable_events(settings)
    _send(settings, 1).get(timeout=60)
    events, _ = _task_events(subscriber, _succeeded(1))
    subscriber.close()
    assert [e["type"] for e in events if e["type"] == "task-succeeded"] == ["task-succeeded"]


def _enable_events(settings: CommonSettings) -> None:
    """What Flower does when it starts: ask every worker for task events."""
    app = make_celery(settings)
    wait_for(lambda: app.control.enable_events(reply=True, timeout=1), 20, "enable_events")


def test_a_retried_task_still_shows_ids_not_its_transcript(
    stack_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(stack_env, monkeypatch)
    env = {**stack_env, "SUMMARIZER_ENGINE": "fake", "RETRY_BACKOFF_BASE": "0"}
    stack = Stack(env, tmp_path)
    subscriber = _event_subscriber(settings)
    secret = "[[fail-first]] my salary at Initech was 91,000"
    try:
        stack.start("worker")
        _enable_events(settings)  # as Flower does, where these arguments are shown
        result = make_celery(settings).send_task(
            "summarization.summarize_session",
            kwargs={
                "session_id": "s",
                "candidate_id": "c",
                "transcript": [{"role": "candidate", "speaker": "Ada", "text": secret}],
            },
            queue=settings.queue_session,
            kwargsrepr="{'session_id': 's'}",  # as the dispatcher sends it
        )
        result.get(timeout=60)
        events, _ = _task_events(subscriber, _succeeded(1))
        received = [e for e in events if e["type"] == "task-received"]
    finally:
        subscriber.close()
        stack.stop()
    assert len(received) == 2  # the first attempt and the retry
    retry = received[1]
    assert "<1 turns>" in retry["kwargs"]
    assert "Initech" not in json.dumps(received)


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


def test_messages_it_cannot_read_are_dead_lettered_and_the_worker_goes_on(
    worker: Stack, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queue items that are no kombu message, a body that is not JSON, a message that is
    no task: each goes to the tasks dead-letter stream with its raw bytes and a reason,
    and the tasks after them run. (An item that is no JSON stopped the worker.)"""
    settings = _settings(stack_env, monkeypatch)
    r = redis.Redis.from_url(settings.redis_url)
    queue = settings.queue_session
    _send(settings, 0).get(timeout=60)  # the worker is consuming
    items = [b"not json at all", b"\xff\xfe not UTF-8", b'{"a": 1}']
    for item in items:  # ahead of everything sent after them (kombu pops the oldest)
        r.lpush(f"{settings.celery_key_prefix}{queue}", item)
    app = make_celery(settings)
    with app.producer_or_acquire() as producer:
        producer.publish({"x": 1}, serializer="pickle", routing_key=queue, exchange="")
        producer.publish([1, 2], serializer="json", routing_key=queue, exchange="")
    assert _send(settings, 1).get(timeout=60)["source"]["session_id"] == "s1"

    dlq = settings.stream_tasks_dlq
    wait_for(lambda: r.xlen(dlq) >= 5, 10, "five dead letters")
    letters = [{k.decode(): v.decode() for k, v in f.items()} for _, f in r.xrange(dlq)]
    raws = [
        bytes.fromhex(x["payload"]) if x["payload_encoding"] == "hex" else x["payload"].encode()
        for x in letters
    ]
    assert raws[:3] == items, "each item's bytes, exactly"
    assert "JSONDecodeError" in letters[0]["reason"]
    assert "KeyError: 'properties'" in letters[2]["reason"]
    assert "ContentDisallowed" in letters[3]["reason"]
    assert letters[3]["content_type"] == "application/x-python-serialize"
    assert raws[4] == b"[1, 2]"
    assert "no task message" in letters[4]["reason"]
    assert {x["source"] for x in letters} == {queue}
    assert worker.services["worker"].alive
    r.close()
