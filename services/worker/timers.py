"""Cancelled timers leave the worker's event loop instead of waiting for their time.

Every task arms a time-limit timer in the worker's main process and cancels it when it
ends; kombu keeps cancelled entries until their time (``shared.adapters.kombu``). This
bootstep sweeps them out every ``WORKER_TIMER_PURGE_SECONDS``; BENCHMARKS.md has what
they cost otherwise.
"""

from typing import Any

from celery import bootsteps

from shared.adapters.kombu import purge_cancelled

CONF_KEY = "worker_timer_purge_seconds"
"""The Celery setting holding the sweep's interval (``WORKER_TIMER_PURGE_SECONDS``)."""


class PurgeCancelledTimers(bootsteps.StartStopStep):
    """Worker bootstep: a repeating sweep on the event loop's timer, with the prefork pool
    (the one that arms time-limit timers there; with it only the loop's thread uses the
    timer)."""

    requires = ("celery.worker.components:Hub",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.tref: Any = None
        super().__init__(worker, **kwargs)

    def include_if(self, worker: Any) -> bool:
        return bool(worker.use_eventloop) and worker.app.conf.worker_pool == "prefork"

    def start(self, worker: Any) -> None:
        timer = worker.hub.timer
        interval = float(worker.app.conf.get(CONF_KEY) or 30.0)
        self.tref = timer.call_repeatedly(interval, purge_cancelled, (timer,))

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
