"""The Celery tasks: a thin edge around ``jobs``. Retries and logging live here."""

from collections.abc import Callable
from typing import Any

import orjson
import structlog
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded

from contracts.streams import TaskNames
from contracts.types import DEFAULT_TENANT
from services.worker import jobs
from services.worker.context import ContextHolder
from services.worker.lifecycle import LifecycleStream
from services.worker.metrics import TaskRun
from services.worker.reporting import attempt_of, terminal
from services.worker.retry import backoff_delay
from shared.celery_app import kwargs_repr
from shared.errors import PermanentTaskError, TaskTimedOut
from shared.lifecycle import LifecycleEvent
from shared.logging import get_logger

log = get_logger(__name__)

Job = Callable[..., dict[str, Any]]

KINDS = {TaskNames.SESSION: "session", TaskNames.PROFILE: "profile"}


def register_tasks(app: Celery, holder: ContextHolder, lifecycle: LifecycleStream) -> None:
    """Register ``summarize_session`` and ``summarize_profile`` on ``app``.

    A task's last step is appending ``task-succeeded`` with its result to the lifecycle
    stream (the pipeline's durable copy of it): if Redis stays away, the task is retried."""
    settings = holder.settings
    options: dict[str, Any] = {
        "shared": False,  # this app's tasks (closures over its context), not every app's
        "bind": True,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": settings.retry_max,
        # expected failures: Celery logs them without a traceback (``task_failed_permanently``
        # below is the warning), unexpected ones keep theirs
        "throws": (PermanentTaskError,),
        # the dispatcher sends with ignore_result; a failure's meta (exception type and
        # message, arguments) is still what the reconciler and a dead letter read
        "store_errors_even_if_ignored": True,
    }

    def run(task: Task[Any, Any], job: Job, **kwargs: Any) -> dict[str, Any]:
        request = task.request
        task_id = str(request.id)  # a worker's request always has its id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            task_id=task_id,
            tenant=kwargs.get("tenant"),
            candidate_id=kwargs.get("candidate_id"),
            attempt=attempt_of(request),
        )
        measured = TaskRun(KINDS.get(str(task.name), "other"), settings.summarizer_engine)
        try:
            result = job(holder.get(), task_id=task_id, **kwargs)
            result_json = orjson.dumps(result).decode()
            lifecycle.append(
                terminal(lifecycle, LifecycleEvent.SUCCEEDED, task, result_json=result_json)
            )
            if request.retries:  # an earlier attempt stored its RETRY meta: not the outcome
                task.backend.forget(task_id)
            measured.succeeded()
            return result
        except SoftTimeLimitExceeded as exc:
            measured.failed(exc, retried=False)
            log.error("task_timed_out", soft_time_limit=settings.task_soft_time_limit)
            raise TaskTimedOut(
                f"task exceeded its soft time limit of {settings.task_soft_time_limit}s"
            ) from None
        except PermanentTaskError as exc:
            measured.failed(exc, retried=False)
            log.warning("task_failed_permanently", error=str(exc), error_type=type(exc).__name__)
            raise
        except Exception as exc:
            measured.failed(exc, retried=request.retries < settings.retry_max)
            if request.retries >= settings.retry_max:
                log.error("task_retries_exhausted", error=str(exc), retries=request.retries)
                raise
            delay = backoff_delay(
                request.retries,
                settings.retry_backoff_base,
                settings.retry_backoff_max,
                settings.retry_jitter,
            )
            log.warning("task_retrying", error=str(exc), countdown=round(delay, 3))
            raise task.retry(  # type: ignore[call-arg]  # (stubs lack **options)
                exc=exc,
                countdown=delay,
                argsrepr="()",
                kwargsrepr=kwargs_repr(request.kwargs or {}),
            ) from exc

    @app.task(name=TaskNames.SESSION, **options)
    def summarize_session(
        self: Task[Any, Any],
        session_id: str,
        candidate_id: str,
        mode: str = "SELF_REPORT",
        transcript: list[dict[str, Any]] | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> dict[str, Any]:
        return run(
            self,
            jobs.summarize_session,
            tenant=tenant,
            session_id=session_id,
            candidate_id=candidate_id,
            mode=mode,
            transcript=transcript,
        )

    @app.task(name=TaskNames.PROFILE, **options)
    def summarize_profile(
        self: Task[Any, Any], candidate_id: str, tenant: str = DEFAULT_TENANT
    ) -> dict[str, Any]:
        return run(self, jobs.summarize_profile, tenant=tenant, candidate_id=candidate_id)
