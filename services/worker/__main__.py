"""``summarization-worker`` / ``python -m services.worker``: run a Celery worker."""

import os
import socket
import sys

from services.worker.app import create_worker_app
from services.worker.settings import WorkerSettings
from shared.logging import configure_logging


def main(argv: list[str] | None = None) -> None:
    settings = WorkerSettings()
    configure_logging("worker", settings.log_level, settings.log_format)
    app = create_worker_app(settings)
    args = [
        "worker",
        "--queues", ",".join(settings.queue_list()),
        "--concurrency", str(settings.worker_concurrency),
        "--pool", settings.worker_pool,
        "--task-events",
        "--loglevel", settings.log_level,
        "--hostname", f"worker-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
        *(argv if argv is not None else sys.argv[1:]),
    ]  # fmt: skip
    app.worker_main(args)


if __name__ == "__main__":
    main()
