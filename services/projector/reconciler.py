"""Repair what no lifecycle entry reports: non-terminal records checked against results.

A pool process killed mid-task, a hard time limit or an entry lost with Redis' data
leaves a record unfinished. Every ``RECONCILE_INTERVAL`` seconds, tasks still
non-terminal ``RECONCILE_AFTER`` seconds after creation are looked up in Celery's result
backend; a finished one is applied as the terminal entry that never came, made from the
record and the backend's meta, through the projector like any other entry (so its
outcome event is published, once).

The backend holds every failure; a pipeline task's success is not stored there (the
dispatcher sends with ``ignore_result``): its durable copy is the worker's
``task-succeeded`` entry, appended before the task is acknowledged.
"""

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
import redis

from services.projector.metrics import REPAIRS
from services.projector.projector import Projector
from services.projector.results import ResultReader, error_of
from services.projector.settings import ProjectorSettings
from shared import keys
from shared.lifecycle import LifecycleEntry, LifecycleEvent, TaskFacts
from shared.logging import get_logger

log = get_logger(__name__)

ENTRY_FOR_STATE = {
    "SUCCESS": LifecycleEvent.SUCCEEDED,
    "FAILURE": LifecycleEvent.FAILED,
    "REVOKED": LifecycleEvent.REVOKED,
}


def repair_entry(
    task_id: str, record: Mapping[str, str], meta: Mapping[str, Any]
) -> LifecycleEntry | None:
    """The terminal entry a finished result implies (None while it is unfinished)."""
    event = ENTRY_FOR_STATE.get(str(meta.get("status")))
    if event is None:
        return None
    done = meta.get("date_done")
    if isinstance(done, str):
        done = datetime.fromisoformat(done)
    return LifecycleEntry(
        event,
        task_id,
        done.timestamp() if isinstance(done, datetime) else time.time(),
        attempt=max(1, int(record.get("attempts") or 1)),
        worker="reconciler",
        traceparent=record.get("traceparent", ""),
        facts=TaskFacts(
            record.get("kind") or "session",
            record.get("candidate_id", ""),
            record.get("session_id", ""),
            record.get("mode", ""),
            record.get("tenant", ""),
        ),
        started_at=record.get("started_at", ""),
        result_json=(
            orjson.dumps(meta.get("result")).decode() if event is LifecycleEvent.SUCCEEDED else ""
        ),
        error=error_of(meta) if event is LifecycleEvent.FAILED else None,
    )


class Reconciler:
    def __init__(
        self,
        settings: ProjectorSettings,
        client: redis.Redis,
        results: ResultReader,
        projector: Projector,
    ) -> None:
        """``client`` decodes responses."""
        self._s = settings
        self._redis = client
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
        prefix, active = self._s.key_prefix, keys.active(self._s.key_prefix)
        older_than = time.time() - self._s.reconcile_after
        stale: Any = self._redis.zrangebyscore(active, 0, older_than, start=0, num=limit)
        repaired = 0
        for task_id in stale:
            record: dict[str, str] = self._redis.hgetall(keys.status(prefix, task_id))  # type: ignore[assignment]
            if not record or record.get("terminal") == "1":
                # expired, or finished: the index of active tasks only (no record changes)
                self._redis.zrem(active, task_id)
                continue
            meta = self._results.meta(task_id)
            entry = repair_entry(task_id, record, meta) if meta else None
            if entry is not None and self._projector.apply([entry]) == [2]:
                repaired += 1
                REPAIRS.inc()
                log.warning("status_repaired", task_id=task_id, status=str(meta and meta["status"]))
        self.repairs += repaired
        return repaired
