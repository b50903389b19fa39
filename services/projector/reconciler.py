"""Repair what lost events left stale: non-terminal records checked against the results.

Every ``RECONCILE_INTERVAL`` seconds, tasks still non-terminal ``RECONCILE_AFTER``
seconds after creation are looked up in Celery's result backend; a finished one is
applied as the terminal event that never arrived (publishing its completion event, once).

The backend holds every failure, and the successes of tasks sent with results (a
``delay()`` from outside the pipeline). The dispatcher's tasks ignore their results:
their success's durable copy is the worker's ``task-succeeded`` lifecycle entry, which
the task appends before it is acknowledged (``services.worker.lifecycle``).
"""

import threading
import time
from datetime import datetime
from typing import Any

from services.projector.metrics import REPAIRS
from services.projector.projector import Projector
from services.projector.results import ResultReader
from services.projector.settings import ProjectorSettings
from shared.logging import get_logger
from shared.status_view import TransitionWriter

log = get_logger(__name__)

EVENT_FOR_STATE = {"SUCCESS": "task-succeeded", "FAILURE": "task-failed", "REVOKED": "task-revoked"}


def synthetic_event(task_id: str, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The terminal task event a finished result implies (None while unfinished)."""
    event_type = EVENT_FOR_STATE.get(str(meta.get("status")))
    if event_type is None:
        return None
    done = meta.get("date_done")
    timestamp = datetime.fromisoformat(done).timestamp() if done else time.time()
    result = meta.get("result")
    exception = ""
    if isinstance(result, dict) and result.get("exc_type"):
        exception = f"{result['exc_type']}({result.get('exc_message')!r})"
    return {"type": event_type, "uuid": task_id, "timestamp": timestamp, "exception": exception}


class Reconciler:
    def __init__(
        self,
        settings: ProjectorSettings,
        writer: TransitionWriter,
        results: ResultReader,
        projector: Projector,
    ) -> None:
        self._s = settings
        self._writer = writer
        self._results = results
        self._projector = projector
        self.repairs = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self._s.reconcile_interval):
            try:
                self.reconcile_once()
            except Exception as exc:
                log.warning("reconcile_failed", error=str(exc))

    def reconcile_once(self, limit: int = 1000) -> int:
        """One pass; returns the number of records repaired."""
        repaired = 0
        for task_id in self._writer.stale_active(time.time() - self._s.reconcile_after, limit):
            record = self._writer.read(task_id)
            if not record or record.get("terminal") == "1":
                self._writer.forget_active(task_id)
                continue
            meta = self._results.meta(task_id)
            event = synthetic_event(task_id, meta) if meta else None
            if event is not None and self._projector.on_event(event) == 2:
                repaired += 1
                REPAIRS.inc()
                log.warning("status_repaired", task_id=task_id, status=meta and meta["status"])
        self.repairs += repaired
        return repaired
