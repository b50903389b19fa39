"""Default Redis stream names (each one can be renamed per deployment by settings)."""

from typing import Final


class Streams:
    REQUESTED: Final = "summarization.requested"
    REQUESTED_DLQ: Final = "summarization.requested.dlq"
    COMPLETED: Final = "summarization.completed"
    FAILED: Final = "summarization.failed"
    TASKS_DLQ: Final = "summarization.tasks.dlq"
    STATUS_CHANGES: Final = "summarization.status-changes"
    """Every change applied to a task's status record, one entry each (capped)."""
    LIFECYCLE: Final = "summarization.lifecycle"
    """Internal: the worker's task lifecycle, read by the projector (a durable copy of
    Celery's fire-and-forget task events)."""


class TaskHeaders:
    """Headers of the Celery task messages the dispatcher sends."""

    ATTEMPTS_BEFORE: Final = "attempts_before"
    """Attempts the task had before this run (a redriven task's earlier runs): the worker
    numbers this run's attempts after them."""


class TaskNames:
    """Celery task names: the dispatcher sends by name, the worker registers them."""

    SESSION: Final = "summarization.summarize_session"
    PROFILE: Final = "summarization.summarize_profile"
