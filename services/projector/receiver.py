"""Consume Celery's task events (``app.events.Receiver``), reconnecting on any failure."""

import time

from celery import Celery

from services.projector.projector import Projector
from shared.logging import get_logger

log = get_logger(__name__)


def consume_events(app: Celery, projector: Projector, max_delay: float) -> None:
    """Run forever: capture task events and hand each to the projector."""
    delay = 0.1

    def on_event(event: dict[str, object]) -> None:
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
