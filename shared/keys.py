"""Every Redis key this system writes outside streams, in one place.

``prefix`` is the ``KEY_PREFIX`` setting (default ``summarization:``).
"""


def status(prefix: str, task_id: str) -> str:
    """Hash: the task's status record."""
    return f"{prefix}task:{task_id}"


def errors(prefix: str, task_id: str) -> str:
    """Hash: attempt number -> why that attempt failed (the failure chain)."""
    return f"{prefix}task:{task_id}:errors"


def active(prefix: str) -> str:
    """Sorted set: task ids not yet terminal, scored by creation time (the reconciler's work)."""
    return f"{prefix}active"


def dispatched(prefix: str, task_id: str) -> str:
    """String: the task id was sent to Celery (the dispatcher's dedupe record)."""
    return f"{prefix}dispatched:{task_id}"


def idempotency(prefix: str, caller: str, key: str) -> str:
    """String: JSON {task_id, body_hash} for an Idempotency-Key of a caller."""
    return f"{prefix}idem:{caller}:{key}"
