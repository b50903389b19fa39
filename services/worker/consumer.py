"""The worker's Celery consumer, and whether it runs.

``CONSUMING`` is set from the moment the consumer's loop starts until it closes (for a
reconnect or to stop); ``/readyz`` pings the worker through Celery only then. A ping
broadcast while the consumer started left its queue poll deaf until kombu dropped the
connection as stale (BENCHMARKS.md).
"""

import threading
from typing import Any

from celery.worker.consumer import Consumer as CeleryConsumer

from services.worker import broker_dead_letters

CONSUMING = threading.Event()


class Consumer(CeleryConsumer):
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
        return super().on_close()

    def shutdown(self) -> Any:
        CONSUMING.clear()
        return super().shutdown()
