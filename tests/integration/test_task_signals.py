"""The worker's lifecycle entries, from tasks run eagerly through Celery's tracer (real
store and Redis): what the projector learns of each attempt."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from celery import Celery

from contracts.streams import TaskNames
from services.worker.context import ContextHolder
from services.worker.lifecycle import LifecycleStream, connect_lifecycle
from services.worker.settings import WorkerSettings
from services.worker.tasks import register_tasks
from shared.celery_app import make_celery

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]

Steps = Callable[[str], list[dict[str, str]]]


@pytest.fixture
def settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> WorkerSettings:
    for key, value in {**stack_env, "SUMMARIZER_ENGINE": "fake", "RETRY_MAX": "0"}.items():
        monkeypatch.setenv(key, value)
    return WorkerSettings()


@pytest.fixture
def steps(settings: WorkerSettings) -> Iterator[Steps]:
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)

    def read(stream: str) -> list[dict[str, str]]:
        return [fields for _, fields in client.xrange(stream)]  # type: ignore[union-attr]

    yield read
    client.close()


def worker_app(settings: WorkerSettings) -> Celery:
    app = make_celery(settings)
    lifecycle = LifecycleStream(settings)
    register_tasks(app, ContextHolder(settings), lifecycle)
    connect_lifecycle(app, lifecycle)
    return app


def run(app: Celery, task_id: str, **kwargs: Any) -> Any:
    arguments = {"session_id": "s", "candidate_id": "c", "transcript": TRANSCRIPT, **kwargs}
    return app.tasks[TaskNames.SESSION].apply(kwargs=arguments, task_id=task_id)


def test_an_app_reports_only_its_own_tasks(settings: WorkerSettings, steps: Steps) -> None:
    mine = worker_app(settings)
    other = settings.model_copy(update={"stream_lifecycle": f"{settings.stream_lifecycle}.b"})
    theirs = worker_app(other)
    assert run(theirs, "t-b").successful()
    assert [s["type"] for s in steps(other.stream_lifecycle)] == ["task-started", "task-succeeded"]
    assert steps(settings.stream_lifecycle) == []
    assert run(mine, "t-a").successful()
    assert [s["uuid"] for s in steps(settings.stream_lifecycle)] == ["t-a", "t-a"]
    assert len(steps(other.stream_lifecycle)) == 2
