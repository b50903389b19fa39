"""Consume Celery's task events (``app.events.Receiver``), reconnecting on any failure.

``task-sent`` (only Celery reports it) is applied at once. Every other task event waits
``CELERY_EVENT_GRACE`` seconds: the worker's durable lifecycle stream normally delivers
the same step within milliseconds, carrying the task's trace context; a step this
projector already applied from there is skipped without touching Redis, so the Celery
event only acts when the lifecycle copy went missing (the reconciler backs up both). A
success carries no result in Celery's event: it is applied only when the result backend
holds it (a task sent with results); the dispatcher's tasks finish from the lifecycle.
"""

import threading
import time
from collections import deque
from typing import Any

from celery import Celery

from services.projector.metrics import worker_event
from services.projector.projector import Projector
from shared.logging import get_logger

log = get_logger(__name__)


class Deferred:
    """Calls ``projector.on_event`` for events once their grace period is over.

    Every event waits the same grace, so arrival order is due order: a FIFO, and the
    runner is woken only when the queue was empty (Celery's events come in bursts)."""

    def __init__(self, projector: Projector, grace: float) -> None:
        self._projector = projector
        self._grace = grace
        self._queue: deque[tuple[float, dict[str, Any]]] = deque()
        self._ready = threading.Condition()

    def add(self, event: dict[str, Any]) -> None:
        due = time.monotonic() + self._grace
        with self._ready:
            self._queue.append((due, event))
            if len(self._queue) == 1:
                self._ready.notify()

    def run(self) -> None:
        while True:
            with self._ready:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._ready.wait(timeout)
                _, event = self._queue.popleft()
            if self._projector.seen(event):
                continue
            try:
                self._projector.on_event(event)
            except Exception:
                log.exception("event_projection_failed", event_type=event.get("type"))


def consume_events(app: Celery, projector: Projector, max_delay: float, grace: float) -> None:
    """Run forever: capture task events and hand each to the projector."""
    deferred = Deferred(projector, grace)
    threading.Thread(target=deferred.run, name="deferred-terminal", daemon=True).start()
    delay = 0.1

    def on_event(event: dict[str, Any]) -> None:
        event_type = str(event.get("type", ""))
        if event_type.startswith("worker-"):
            worker_event(event_type, str(event.get("hostname")), float(event["timestamp"]))
            return
        if event_type != "task-sent":
            if not projector.seen(event):  # usually the lifecycle copy came first
                deferred.add(event)
            return
        try:
            projector.on_event(event)
        except Exception:
            log.exception("event_projection_failed", event_type=event.get("type"))

    while True:
        try:
            with app.connection_for_read() as conn:
                receiver = app.events.Receiver(conn, handlers={"*": on_event})
                log.info("event_receiver_connected")
                delay = 0.1
                receiver.capture(limit=None, timeout=None, wakeup=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            log.warning("event_receiver_disconnected", error=str(exc), retry_in=delay)
            time.sleep(delay)
            delay = min(max_delay, delay * 2)
