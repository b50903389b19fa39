"""``summarization-worker`` / ``python -m services.worker``: run a Celery worker."""

import os
import socket
import sys
from collections.abc import Callable

from celery import signals

from services.worker.app import create_worker_app
from services.worker.consumer import CONSUMING
from services.worker.settings import WorkerSettings
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging, get_logger
from shared.ops_server import OpsServer
from shared.redis_client import sync_redis
from shared.store import Database


def main(argv: list[str] | None = None) -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_format)
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
    OpsServer("worker", settings.ops_port, checks, host=settings.ops_host).start()
    args = [
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
    app.worker_main(args)


if __name__ == "__main__":
    main()
