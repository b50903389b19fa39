"""``summarization-worker`` / ``python -m services.worker``: run a Celery worker."""

from services.worker.bootstrap import main

if __name__ == "__main__":
    main()
