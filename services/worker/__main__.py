"""``summarization-worker`` / ``python -m services.worker``: run a Celery worker."""

import os

# SIGTERM (a deploy, `docker stop`, Kubernetes) as Celery's cold shutdown, which starts
# with the soft one: running tasks get WORKER_SOFT_SHUTDOWN_TIMEOUT seconds, then those
# still running are cancelled and their messages go back to the queue at once. Celery's
# own SIGTERM waits for every running task however long it takes, and a task cut off by
# the grace period's SIGKILL waited out BROKER_VISIBILITY_TIMEOUT. billiard reads this
# when imported: before Celery is.
os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")

import socket
import sys
from collections.abc import Callable

from celery import signals

from services.worker.app import create_worker_app
from services.worker.celery_logs import route_celery_output
from services.worker.consumer import CONSUMING
from services.worker.settings import WorkerSettings
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging, get_logger
from shared.metrics_multiprocess import metrics_registry, remove_metrics_dir, use_metrics_dir
from shared.ops_server import OpsServer
from shared.redis_client import sync_redis
from shared.store import Database


def main(argv: list[str] | None = None) -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_format)
    # The pool's processes record the task metrics; this one's /metrics adds them up.
    metrics_dir, made = use_metrics_dir("worker")
    app = create_worker_app(settings)
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

    broker = sync_redis(settings.celery_broker_url)
    checks: dict[str, Callable[[], object]] = {"broker": broker.ping, "celery": celery_ping}
    OpsServer(
        "worker", settings.ops_port, checks, host=settings.ops_host, registry=metrics_registry()
    ).start()
    args = [
        "--quiet",  # no banner printed past the logs: celery_logs logs its facts
        "worker",
        "--queues", ",".join(settings.queue_list()),
        "--concurrency", str(settings.worker_concurrency),
        "--pool", settings.worker_pool,
        "--task-events",
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


if __name__ == "__main__":
    main()
