"""A task's meta in Celery's result backend (``Backend.get_task_meta``, public API).

The backend holds every failure (the tasks set ``store_errors_even_if_ignored``), with
the task's arguments (``result_extended``): the reconciler's repairs and a failure's
dead letter read them. A failure's exception comes back as an instance of its class if
that class is already imported here, else of a class of the same name that Celery makes
(nothing is imported from a name in the backend); its type and message are read, never
raised.
"""

from collections.abc import Mapping
from typing import Any

from celery import Celery

from shared.lifecycle import ErrorInfo


class ResultReader:
    def __init__(self, app: Celery) -> None:
        self._backend: Any = app.backend

    def meta(self, task_id: str) -> Mapping[str, Any] | None:
        """The task's meta, or None while the backend knows nothing of it."""
        meta: dict[str, Any] = self._backend.get_task_meta(task_id, cache=False)
        return meta if meta.get("date_done") or meta.get("status") != "PENDING" else None


def error_of(meta: Mapping[str, Any]) -> ErrorInfo:
    """A stored failure as data. Whether retrying could help is not stored: reported as
    transient (so it is dead-lettered, and can be redriven)."""
    exc = meta.get("result")
    if isinstance(exc, BaseException):
        return ErrorInfo(type(exc).__name__, " ".join(str(a) for a in exc.args), False)
    return ErrorInfo("Error", str(exc or "the task failed"), False)
