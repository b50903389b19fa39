"""A task is done only once its result is on the lifecycle stream: when the append fails,
the task is retried like any transient failure (run eagerly, real store and Redis)."""

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import redis
from celery import Celery

from contracts.streams import TaskNames
from services.cli.demo import demo_sessions
from services.worker.context import ContextHolder
from services.worker.settings import WorkerSettings
from services.worker.tasks import register_tasks
from shared.celery_app import make_celery
from shared.lifecycle import LifecycleEntry, LifecycleEvent
from tests.integration.test_jobs import store

SESSION = demo_sessions()[0]


class FlakyLifecycle:
    """Refuses the first ``failures`` appends of a success, as a Redis that is away."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.appended: list[tuple[str, Any]] = []

    def entry(self, event: LifecycleEvent, task_id: str, **fields: Any) -> LifecycleEntry:
        return LifecycleEntry(event, task_id, 1.0, **fields)

    def append(self, entry: LifecycleEntry) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise redis.ConnectionError("Redis is away")
        self.appended.append((entry.task_id, orjson.loads(entry.result_json)))


@pytest.fixture
def worker_app(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[FlakyLifecycle], Celery]]:
    for key, value in {**stack_env, "SUMMARIZER_ENGINE": "fake", "RETRY_MAX": "2"}.items():
        monkeypatch.setenv(key, value)
    settings = WorkerSettings()
    holder = ContextHolder(settings)
    store(holder.get(), SESSION)

    def make(lifecycle: FlakyLifecycle) -> Celery:
        app = make_celery(settings)
        register_tasks(app, holder, lifecycle)  # type: ignore[arg-type]
        return app

    yield make
    holder.get().db.dispose()


def _run(app: Celery) -> Any:
    kwargs = {k: SESSION[k] for k in ("session_id", "candidate_id", "mode")}
    return app.tasks[TaskNames.SESSION].apply(kwargs=kwargs, task_id="t-1")


def test_a_failed_append_retries_the_task_which_then_succeeds(
    worker_app: Callable[[FlakyLifecycle], Celery],
) -> None:
    lifecycle = FlakyLifecycle(failures=1)
    result = _run(worker_app(lifecycle))
    assert result.successful(), result.traceback
    assert lifecycle.calls == 2
    assert lifecycle.appended == [("t-1", result.result)]  # the stored summary, once
    assert result.result["type"] == "session"
    assert result.result["overview"]


def test_a_task_whose_result_never_reaches_the_stream_fails(
    worker_app: Callable[[FlakyLifecycle], Celery],
) -> None:
    lifecycle = FlakyLifecycle(failures=100)
    result = _run(worker_app(lifecycle))
    assert result.failed()
    assert isinstance(result.result, redis.ConnectionError)
    assert lifecycle.calls == 3  # the first attempt and RETRY_MAX=2 retries
    assert lifecycle.appended == []
