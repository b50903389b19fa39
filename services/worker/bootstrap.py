"""The worker's composition root: everything the worker is made of is put together here.

``build`` makes the Celery app with this worker's tasks, their lifecycle reporting and
its bootsteps; its clients (the lifecycle stream, the tasks' context) are made here
unless a test passes its own. Building connects to nothing. ``main`` runs it as
``summarization-worker``: the process's logging and tracing (signals of this process,
connected once, there), the store's tables, the ops server, then Celery's worker.
"""

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery, signals
from opentelemetry.instrumentation.celery import CeleryInstrumentor

from services.worker import broker_dead_letters
from services.worker.broker_dead_letters import BrokerDeadLetters
from services.worker.celery_logs import route_celery_output
from services.worker.consumer import CONSUMING
from services.worker.context import ContextHolder
from services.worker.lifecycle import LifecycleStream
from services.worker.reporting import connect_lifecycle
from services.worker.settings import WorkerSettings
from services.worker.summarizer.registry import build_summarizer
from services.worker.tasks import register_tasks
from services.worker.timers import CONF_KEY, PurgeCancelledTimers
from shared.celery_app import make_celery
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging, get_logger
from shared.metrics_multiprocess import metrics_registry, remove_metrics_dir, use_metrics_dir
from shared.ops_server import ops_server
from shared.redis_client import sync_redis
from shared.store import Database
from shared.telemetry import configure_tracing


@dataclass(frozen=True)
class Worker:
    settings: WorkerSettings
    app: Celery
    lifecycle: LifecycleStream
    context: ContextHolder


def build(
    settings: WorkerSettings,
    lifecycle: LifecycleStream | None = None,
    context: ContextHolder | None = None,
) -> Worker:
    """The worker's Celery app, its tasks and their reporting (clients passed in or made)."""
    build_summarizer(settings.summarizer_engine, settings)  # a wrong engine fails at start-up
    app = make_celery(settings)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=settings.worker_prefetch_multiplier,
        worker_concurrency=settings.worker_concurrency,
        worker_pool=settings.worker_pool,
        worker_consumer="services.worker.consumer:Consumer",
        worker_soft_shutdown_timeout=settings.worker_soft_shutdown_timeout,
        worker_enable_soft_shutdown_on_idle=settings.worker_enable_soft_shutdown_on_idle,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # Tasks are idempotent: one that loses its channel finishes, and runs again on
        # redelivery, rather than being cancelled (which records it as REVOKED).
        worker_cancel_long_running_tasks_on_connection_loss=False,
        **{
            CONF_KEY: settings.worker_timer_purge_seconds,
            broker_dead_letters.CONF_KEY: BrokerDeadLetters(settings),
        },
    )
    lifecycle = lifecycle or LifecycleStream(settings)
    context = context or ContextHolder(settings)
    register_tasks(app, context, lifecycle)
    connect_lifecycle(app, lifecycle)
    app.steps["worker"].add(PurgeCancelledTimers)
    return Worker(settings, app, lifecycle, context)


def connect_process(settings: WorkerSettings) -> None:
    """This process's logging (Celery's set-up keeps ours) and tracing (each pool process
    exports its own spans, set up after the fork)."""

    def logging_(**_: Any) -> None:
        configure_logging("worker", settings.log_level, settings.log_format)

    def tracing(**_: Any) -> None:
        provider = configure_tracing("worker")
        CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]

    signals.setup_logging.connect(logging_, weak=False)
    if settings.worker_pool == "prefork":
        signals.worker_process_init.connect(tracing, weak=False)
    else:
        tracing()


def main(argv: list[str] | None = None) -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_format)
    # The pool's processes record the task metrics; this one's /metrics adds them up.
    metrics_dir, made = use_metrics_dir("worker")
    connect_process(settings)
    worker = build(settings)
    app = worker.app
    # Tables made once here, before the pool forks: otherwise every pool process races
    # to create them on its first task, and a loser's task is retried a minute later.
    try:
        db = Database(settings.database_url)
        db.create_schema()
        db.dispose()
    except Exception as exc:  # the store may come back: tasks retry until it does
        get_logger(__name__).warning("store_unavailable_at_start", error=str(exc))
    hostname = f"worker-{os.getpid()}@{socket.gethostname()}"

    def celery_ping() -> None:
        if not CONSUMING.is_set():  # no broadcast while the consumer (re)starts
            raise RuntimeError("the worker is starting")
        if not app.control.ping(destination=[hostname], timeout=1.0):
            raise TimeoutError(f"{hostname} did not answer Celery's ping")

    broker = sync_redis(settings.celery_broker_url, settings.redis_tls)
    checks: dict[str, Callable[[], object]] = {"broker": broker.ping, "celery": celery_ping}
    ops_server("worker", settings, checks, registry=metrics_registry()).start()
    args = [
        "--quiet",  # no banner printed past the logs: celery_logs logs its facts
        "worker",
        "--queues", ",".join(settings.queue_list()),
        "--concurrency", str(settings.worker_concurrency),
        "--pool", settings.worker_pool,
        "--loglevel", settings.log_level,
        "--hostname", hostname,
        "--without-gossip",
        "--without-mingle",
        *(argv if argv is not None else sys.argv[1:]),
    ]  # fmt: skip
    # Celery's worker set up (its modules imported), before the pool forks: the pool's
    # processes share those pages too
    signals.worker_init.connect(lambda **_: freeze_startup_heap(), weak=False)
    route_celery_output()
    try:
        app.worker_main(args)
    finally:
        remove_metrics_dir(metrics_dir, made)
