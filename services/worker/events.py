"""Celery's task events, published in batches a few at a time instead of one by one.

The worker buffers its task events and Celery publishes the buffer after every turn of
its event loop. A turn mostly handles one task step, so nearly every event became its
own PUBLISH, decoded on its own by the projector: 2.0 ms of the worker's and 1.1 ms of
the projector's CPU per task in ``bench.pipeline``'s event burst. This consumer
publishes the buffer
``WORKER_EVENT_FLUSH_SECONDS`` after its first event instead (Celery still publishes at
once when 24 are buffered). The projector's first source is the lifecycle stream, so
the delay costs the status view nothing; monitors such as Flower see events that much
later.
"""

from collections.abc import Callable
from typing import Any

from celery.worker.consumer import Consumer as CeleryConsumer

CONF_KEY = "worker_event_flush_seconds"
"""The Celery setting holding the delay (``WORKER_EVENT_FLUSH_SECONDS``)."""


class Consumer(CeleryConsumer):
    hub: Any  # what celery-types does not declare
    _flush_events: Callable[[], None]
    _flush_timer: Any = None

    def on_send_event_buffered(self) -> Any:
        delay = float(self.app.conf.get(CONF_KEY) or 0)
        if not self.hub or delay <= 0:
            super().on_send_event_buffered()
        elif self._flush_timer is None:
            self._flush_timer = self.hub.call_later(delay, self._flush_buffered)

    def _flush_buffered(self) -> None:
        self._flush_timer = None
        self._flush_events()
