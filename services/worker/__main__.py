"""``summarization-worker`` / ``python -m services.worker``: run a Celery worker."""

import os

# SIGTERM (a deploy, `docker stop`, Kubernetes) as Celery's cold shutdown, which starts
# with the soft one: running tasks get WORKER_SOFT_SHUTDOWN_TIMEOUT seconds, then those
# still running are cancelled and their messages go back to the queue at once. Celery's
# own SIGTERM waits for every running task however long it takes, and a task cut off by
# the grace period's SIGKILL waited out BROKER_VISIBILITY_TIMEOUT. billiard reads this
# when imported: before Celery is.
os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")

from services.worker.bootstrap import main

if __name__ == "__main__":
    main()
