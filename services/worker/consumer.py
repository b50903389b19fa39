"""The worker's Celery consumer: task events published in batches, and whether it runs.

**Task events.**
The worker buffers its task events and Celery publishes the buffer after every turn of
its event loop. A turn mostly handles one task step, so nearly every event became its
own PUBLISH, decoded on its own by the projector: 2.0 ms of the worker's and 1.1 ms of
the projector's CPU per task in ``bench.pipeline``'s event burst. This consumer
publishes the buffer
``WORKER_EVENT_FLUSH_SECONDS`` after its first event instead (Celery still publishes at
once when 24 are buffered), and what is buffered when the worker stops is published
before it stops. The projector's first source is the lifecycle stream, so the delay
costs the status view nothing; monitors such as Flower see events that much later.

**Running.** ``CONSUMING`` is set from the moment the consumer's loop starts until it
closes (for a reconnect or to stop); ``/readyz`` pings the worker through Celery only
then. A ping broadcast while the consumer started left its queue poll deaf until kombu
dropped the connection as stale, 26 s later (Celery 5.7, kombu 5.7).
"""

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from celery.worker.consumer import Consumer as CeleryConsumer

from services.worker import broker_dead_letters

CONSUMING = threading.Event()

_LOOP_THREAD = threading.main_thread()
"""The worker's event loop runs in its main thread."""

CONF_KEY = "worker_event_flush_seconds"
"""The Celery setting holding the delay (``WORKER_EVENT_FLUSH_SECONDS``)."""


class Consumer(CeleryConsumer):
    hub: Any  # what celery-types does not declare
    _flush_events: Callable[[], None]
    _flush_due: float | None = None
    """When the armed flush should run; None when none is armed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flush_delay = float(self.app.conf.get(CONF_KEY) or 0)  # read once, not per event

    def on_send_event_buffered(self) -> Any:
        delay = self._flush_delay
        # the loop's timer is not thread-safe: events of a threads pool go Celery's way
        if not self.hub or delay <= 0 or threading.current_thread() is not _LOOP_THREAD:
            return super().on_send_event_buffered()
        now = time.monotonic()
        # armed, unless the timer it armed was lost (a flush overdue by a second)
        if self._flush_due is None or now > self._flush_due + 1.0:
            self._flush_due = now + delay
            self.hub.call_later(delay, self._flush_buffered)
        return None

    def _flush_buffered(self) -> None:
        self._flush_due = None
        self._flush_events()

    def _flush_now(self) -> None:
        with contextlib.suppress(Exception):  # the broker may be gone: nothing to save
            self._flush_events()

    def on_ready(self) -> Any:
        CONSUMING.set()
        return super().on_ready()

    # A message it cannot read (a queue item that is no kombu message, a body that does
    # not decode, a message that is no task) is dead-lettered with its raw bytes, then
    # acknowledged as Celery does; Celery itself only logged it.
    def on_decode_error(self, message: Any, exc: Exception) -> None:
        if not broker_dead_letters.set_aside(self.app, message, exc):
            return super().on_decode_error(message, exc)
        message.ack()
        return None

    def on_unknown_message(self, body: Any, message: Any) -> Any:
        broker_dead_letters.set_aside(self.app, message, None)
        return super().on_unknown_message(body, message)

    def on_invalid_task(self, body: Any, message: Any, exc: Exception) -> Any:
        broker_dead_letters.set_aside(self.app, message, exc)
        return super().on_invalid_task(body, message, exc)

    def on_close(self) -> Any:
        CONSUMING.clear()
        # before a reconnect: Celery's new dispatcher does not take over buffered events
        self._flush_now()
        self._flush_due = None
        return super().on_close()

    def shutdown(self) -> Any:
        CONSUMING.clear()
        self._flush_now()
        return super().shutdown()
