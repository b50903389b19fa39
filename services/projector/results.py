"""Read a task's final meta from Celery's result backend, as raw JSON.

Decoding the JSON ourselves (instead of ``AsyncResult``) means a failure's exception is
described, never re-raised or re-imported.
"""

from typing import Any

import orjson
from celery import Celery


class ResultReader:
    def __init__(self, app: Celery) -> None:
        self._backend: Any = app.backend  # a KeyValueStoreBackend (Redis)

    def meta(self, task_id: str) -> dict[str, Any] | None:
        raw = self._backend.get(self._backend.get_key_for_task(task_id))
        if not raw:
            return None
        meta: dict[str, Any] = orjson.loads(raw)
        return meta
