"""Default Redis stream names (each one can be renamed per deployment by settings)."""

from typing import Final


class Streams:
    REQUESTED: Final = "summarization.requested"
    REQUESTED_DLQ: Final = "summarization.requested.dlq"
    COMPLETED: Final = "summarization.completed"
    FAILED: Final = "summarization.failed"
    TASKS_DLQ: Final = "summarization.tasks.dlq"


class TaskNames:
    """Celery task names: the dispatcher sends by name, the worker registers them."""

    SESSION: Final = "summarization.summarize_session"
    PROFILE: Final = "summarization.summarize_profile"
