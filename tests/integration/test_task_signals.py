"""The worker's lifecycle entries, from tasks run eagerly through Celery's tracer (real
store and Redis): what the projector learns of each attempt."""

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import orjson
import pytest
import redis
from celery import Celery
from structlog.testing import capture_logs

from contracts.events import SummarizationFailed, SummarizationRequested
from contracts.streams import TaskNames
from contracts.summary import ProfileSummary, SessionSummary
from services.projector.projector import Projector
from services.projector.results import ResultReader
from services.worker.bootstrap import build
from services.worker.context import ContextHolder, WorkerContext
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionSource, SessionWithSummary
from services.worker.summarizer.llm import LLMRequestRejected, LLMUnavailable
from shared import keys
from shared.celery_app import make_celery
from shared.lifecycle import LifecycleEntry
from shared.redis_client import sync_redis
from shared.task_state import StateConfig, StateWriter, accept

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]

Steps = Callable[[str], list[dict[str, str]]]
TRACE = "celery.app.trace"
"""The logger of Celery's line for a task's failure."""


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


class Failing:
    """An engine whose every summary raises ``error``."""

    name, version = "failing", "1"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        raise self.error

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        raise self.error


class FailingHolder(ContextHolder):
    def __init__(self, settings: WorkerSettings, error: Exception) -> None:
        super().__init__(settings)
        self.error = error

    def get(self) -> WorkerContext:
        return replace(super().get(), summarizer=Failing(self.error))


def worker_app(settings: WorkerSettings, error: Exception | None = None) -> Celery:
    """The worker's app as its bootstrap makes it, with a failing engine if ``error``."""
    context = FailingHolder(settings, error) if error is not None else None
    app = build(settings, context=context).app
    for name in (TaskNames.SESSION, TaskNames.PROFILE):
        app.tasks[name].store_eager_result = True  # a failure's meta stored, as by a worker
    return app


def accepted(writer: StateWriter, task_id: str) -> None:
    """The task's PENDING record, as the gateway or the dispatcher writes it."""
    event = SummarizationRequested(
        task_id=task_id, kind="session", candidate_id="c", session_id="s"
    )
    writer.apply(accept(event))


def read(writer: StateWriter, client: redis.Redis, task_id: str) -> dict[str, str]:
    raw = client.hgetall(keys.status(writer.config.prefix, task_id))
    return {k.decode(): v.decode() for k, v in raw.items()}  # type: ignore[union-attr]


@pytest.fixture
def projector(
    settings: WorkerSettings,
) -> Iterator[tuple[Projector, StateWriter, redis.Redis]]:
    client = sync_redis(settings.redis_url, decode=False)
    writer = StateWriter(client, StateConfig.of(settings))
    results = ResultReader(make_celery(settings))
    yield Projector(writer, results.meta, settings.stream_lifecycle), writer, client
    client.close()


def project(projector: Projector, steps: list[dict[str, str]]) -> None:
    projector.apply([LifecycleEntry.from_fields(fields) for fields in steps])


def failed_events(client: redis.Redis, stream: str) -> list[SummarizationFailed]:
    return [
        SummarizationFailed.model_validate_json(orjson.loads(fields[b"__data__"])["data"])
        for _, fields in client.xrange(stream)  # type: ignore[union-attr]
    ]


def dead_letters(client: redis.Redis, stream: str) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in client.xrange(stream)  # type: ignore[union-attr]
    ]


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


def test_an_error_retrying_cannot_fix_is_reported_permanent_and_not_dead_lettered(
    settings: WorkerSettings,
    steps: Steps,
    projector: tuple[Projector, StateWriter, redis.Redis],
) -> None:
    """An LLM endpoint's 4xx: the engine raises a permanent error (not from
    ``shared.errors``): the task fails at once, its failure says it is not retryable,
    and nothing waits for a redrive that cannot succeed."""
    view, writer, client = projector
    app = worker_app(settings, LLMRequestRejected("LLM endpoint refused the request (HTTP 400)"))
    accepted(writer, "t-1")
    result = run(app, "t-1")
    assert result.failed()
    project(view, steps(settings.stream_lifecycle))
    [event] = failed_events(client, settings.stream_failed)
    assert event.error.type == "LLMRequestRejected"
    assert event.error.message == "LLM endpoint refused the request (HTTP 400)"
    assert not event.error.retryable
    assert event.attempts == 1
    assert dead_letters(client, settings.stream_tasks_dlq) == []
    assert read(writer, client, "t-1")["retryable"] == "0"


def test_an_expected_error_is_logged_without_a_traceback_an_unexpected_one_with(
    settings: WorkerSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TRACE)
    rejected = LLMRequestRejected("LLM endpoint refused the request (HTTP 400)")
    with capture_logs() as logs:
        assert run(worker_app(settings, rejected), "t-1").failed()
    [warning] = [e for e in logs if e["event"] == "task_failed_permanently"]
    assert (warning["log_level"], warning["error_type"]) == ("warning", "LLMRequestRejected")
    [celery_line] = [r for r in caplog.records if r.name == TRACE and "t-1" in r.getMessage()]
    assert celery_line.levelno < logging.ERROR
    assert celery_line.exc_info is None, "no traceback for an expected error"

    caplog.clear()
    assert run(worker_app(settings, RuntimeError("a bug")), "t-2").failed()
    [celery_line] = [r for r in caplog.records if r.name == TRACE and "t-2" in r.getMessage()]
    assert celery_line.levelno == logging.ERROR
    assert celery_line.exc_info is not None, "an unexpected error keeps its traceback"


def test_a_retried_attempt_is_recorded_as_fields_in_the_dead_letter(
    settings: WorkerSettings,
    steps: Steps,
    projector: tuple[Projector, StateWriter, redis.Redis],
) -> None:
    view, writer, client = projector
    settings = settings.model_copy(update={"retry_max": 1, "retry_backoff_base": 0.0})
    accepted(writer, "t-1")
    assert run(worker_app(settings, LLMUnavailable("LLM endpoint timed out")), "t-1").failed()
    project(view, steps(settings.stream_lifecycle))
    [letter] = dead_letters(client, settings.stream_tasks_dlq)
    assert letter["reason"] == "retries exhausted: LLMUnavailable: LLM endpoint timed out"
    assert "Retry(" not in letter["errors"]
    first, last = orjson.loads(letter["errors"])
    assert first["attempt"] == "1"
    assert first["error_type"] == "LLMUnavailable"
    assert first["error_message"] == "LLM endpoint timed out"
    assert float(first["retry_in"]) == 0.0
    assert (last["attempt"], last["error_type"]) == ("2", "LLMUnavailable")
    [event] = failed_events(client, settings.stream_failed)
    assert event.error.retryable
    assert event.attempts == 2
