"""The worker's Celery consumer, and whether it runs.

``CONSUMING`` is set from the moment the consumer's loop starts until it closes (for a
reconnect or to stop); ``/readyz`` pings the worker through Celery only then. A ping
broadcast while the consumer started left its queue poll deaf until kombu dropped the
connection as stale (BENCHMARKS.md).
"""

import threading
from typing import Any

from celery.worker.consumer import Consumer as CeleryConsumer

CONSUMING = threading.Event()


class Consumer(CeleryConsumer):
    def on_ready(self) -> Any:
        CONSUMING.set()
        return super().on_ready()

    def on_close(self) -> Any:
        CONSUMING.clear()
        return super().on_close()

    def shutdown(self) -> Any:
        CONSUMING.clear()
        return super().shutdown()
