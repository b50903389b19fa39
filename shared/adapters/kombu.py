"""kombu internals: a Redis transport that survives losing Redis, and a sweep of the
event loop's cancelled timers.

**The transport.** Losing Redis must not stop a worker.

When the broker connection drops, Celery closes the channel and kombu's QoS tries to
put the unacknowledged messages back on their queues through that same, now gone,
connection. The AttributeError / ConnectionError that raises escapes as an
"Unrecoverable error" and leaves the worker alive but no longer consuming (the
celery/celery#8030 family of reports); acks of tasks that finish during the outage fail
the same way. Here those operations are skipped instead: the messages stay in Redis'
unacked index and the visibility-timeout sweep restores them (tasks are idempotent).
It also reuses its synchronous Redis client instead of building one per operation
(``Channel._create_client``). Relies on ``QoS.restore_unacked`` / ``ack`` / ``reject`` /
``restore_visible`` and ``QoS._delivered``.

**The timers.** For every task, Celery's prefork pool arms a time-limit timer in the
worker's main process and cancels it when the task ends; kombu's timer only marks a
cancelled entry, which stays (with its arguments) until the time it was set for
(celery/celery#1129, #5200), so the process grows with the tasks of the last soft time
limit (BENCHMARKS.md). ``purge_cancelled`` drops them from ``Timer._queue``;
kombu has no public way to.
"""

import heapq
from typing import Any

from kombu.asynchronous.timer import Timer
from kombu.transport import redis as kombu_redis

from shared.logging import get_logger

log = get_logger(__name__)

RESTORE_ERRORS: tuple[type[BaseException], ...] = (
    AttributeError,
    *kombu_redis.Transport.connection_errors,
)


class QoS(kombu_redis.QoS):
    """Operations on a channel whose connection is gone are left to the redelivery sweep."""

    def restore_unacked(self, client: Any = None) -> None:
        try:
            super().restore_unacked(client)
        except RESTORE_ERRORS as exc:
            delivered: dict[Any, Any] = self._delivered or {}
            _deferred("restore", len(delivered), exc)
            delivered.clear()

    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)
        except RESTORE_ERRORS as exc:
            # The task ran; its message comes back after the visibility timeout and the
            # rerun finds the stored summary (tasks are idempotent per task id).
            _deferred("ack", 1, exc)
            (self._delivered or {}).pop(delivery_tag, None)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            super().reject(delivery_tag, requeue=requeue)
        except RESTORE_ERRORS as exc:
            _deferred("reject", 1, exc)
            (self._delivered or {}).pop(delivery_tag, None)

    def restore_visible(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().restore_visible(*args, **kwargs)
        except RESTORE_ERRORS as exc:
            _deferred("restore_visible", 0, exc)
            return None


def _deferred(operation: str, messages: int, exc: BaseException) -> None:
    log.warning(
        "broker_operation_deferred",
        operation=operation,
        messages=messages,
        error=f"{type(exc).__name__}: {exc}",
    )


class Channel(kombu_redis.Channel):
    """Reuses one synchronous client per channel and connection pool: kombu builds a new
    client object (response-callback tables and all) for every publish, ack and
    restore, a tenth of a busy worker's main process in a profile."""

    QoS = QoS
    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[misc]
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()  # type: ignore[misc]
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel


def purge_cancelled(timer: Timer) -> int:
    """Drop the cancelled entries from ``timer``'s queue; return how many went.

    The queue is rebuilt in place: the hub's scheduler iterates over this very list.
    """
    queue = timer._queue
    live = [item for item in queue if not item.entry.canceled]
    removed = len(queue) - len(live)
    if removed:
        heapq.heapify(live)
        queue[:] = live
        log.debug("cancelled_timers_purged", removed=removed, left=len(live))
    return removed
