"""Worker heartbeats: Celery's pub/sub worker events, read for the worker metrics only.

A task's steps do not come this way: they reach the projector once, durably, on the
worker's lifecycle stream (``services.projector.lifecycle``). Celery's task events stay
off unless a monitor such as Flower turns them on, and this receiver ignores them.
"""

import time
from typing import Any

from celery import Celery

from services.projector.metrics import worker_event
from shared.logging import get_logger

log = get_logger(__name__)

WORKER_EVENTS = ("worker-online", "worker-heartbeat", "worker-offline")


def track_heartbeats(app: Celery, max_delay: float) -> None:
    """Run forever: keep the worker metrics, reconnecting on any failure."""

    def on_worker_event(event: dict[str, Any]) -> None:
        worker_event(str(event["type"]), str(event.get("hostname")), float(event["timestamp"]))

    delay = 0.1
    while True:
        try:
            with app.connection_for_read() as conn:
                handlers = dict.fromkeys(WORKER_EVENTS, on_worker_event)
                receiver = app.events.Receiver(conn, handlers=handlers)
                log.info("heartbeat_receiver_connected")
                delay = 0.1
                receiver.capture(limit=None, timeout=None, wakeup=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            log.warning("heartbeat_receiver_disconnected", error=str(exc), retry_in=delay)
            time.sleep(delay)
            delay = min(max_delay, delay * 2)
