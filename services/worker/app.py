"""Bootstrap of the worker: the Celery app with the tasks and worker-side settings."""

from typing import Any

from celery import Celery, signals
from opentelemetry.instrumentation.celery import CeleryInstrumentor

from services.worker.context import ContextHolder
from services.worker.lifecycle import LifecycleStream
from services.worker.reporting import connect_lifecycle
from services.worker.settings import WorkerSettings
from services.worker.summarizer.registry import build_summarizer
from services.worker.tasks import register_tasks
from services.worker.timers import PurgeCancelledTimers
from shared.celery_app import make_celery
from shared.logging import configure_logging
from shared.telemetry import configure_tracing


def create_worker_app(settings: WorkerSettings) -> Celery:
    build_summarizer(settings.summarizer_engine, settings)  # a wrong engine fails at start-up
    app = make_celery(settings)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=settings.worker_prefetch_multiplier,
        worker_timer_purge_seconds=settings.worker_timer_purge_seconds,  # timers.CONF_KEY
        worker_consumer="services.worker.consumer:Consumer",
        worker_concurrency=settings.worker_concurrency,
        worker_pool=settings.worker_pool,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # Tasks are idempotent: one that loses its channel finishes, and runs again on
        # redelivery, rather than being cancelled (which records it as REVOKED).
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    lifecycle = LifecycleStream(settings)
    register_tasks(app, ContextHolder(settings), lifecycle)
    app.steps["worker"].add(PurgeCancelledTimers)
    connect_lifecycle(app, lifecycle)

    @signals.setup_logging.connect(weak=False)
    def _logging(**_: Any) -> None:
        configure_logging("worker", settings.log_level, settings.log_format)

    @signals.worker_process_init.connect(weak=False)
    def _tracing(**_: Any) -> None:
        # After the fork: each pool process exports its own spans.
        provider = configure_tracing("worker")
        CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]

    if settings.worker_pool != "prefork":
        _tracing()

    return app
