"""kombu internals: a Redis transport that neither losing Redis nor a bad queue item
may stop, and a sweep of the event loop's cancelled timers.

**Losing Redis.** When the broker connection drops, Celery closes the channel and kombu's
QoS tries to put the unacknowledged messages back on their queues through that same,
now gone, connection. The AttributeError / ConnectionError that raises escapes as an
"Unrecoverable error" and leaves the worker alive but no longer consuming (the
celery/celery#8030 family of reports); acks of tasks that finish during the outage fail
the same way. Here those operations are skipped instead: the messages stay in Redis'
unacked index and the visibility-timeout sweep restores them (tasks are idempotent).
It also reuses its synchronous Redis client instead of building one per operation
(``Channel._create_client``). Relies on ``QoS.restore_unacked`` / ``ack`` / ``reject`` /
``restore_visible`` and ``QoS._delivered``.

**A bad queue item.** An item on a queue that is no kombu message (``LPUSH long_running
'not json'``) must not stop a worker either: kombu decodes each item as it pops it,
before any consumer sees it, and its error ended the worker ("Unrecoverable error:
JSONDecodeError"), or, for JSON without a kombu message's fields, was taken for a lost
connection (a KeyError) and the item vanished. Such an item is delivered instead as a
message of content type ``UNDECODABLE`` whose body is the item's bytes, exactly: no
consumer accepts that content type, so kombu hands it to the consumer's public
``on_decode_error`` hook (Celery's ``Consumer.on_decode_error``), which decides what
becomes of it; until then it is held unacknowledged like any delivered message. The
popped bytes exist only inside kombu's private ``Channel._brpop_read``, so this module
overrides it (a copy, but for the delivery).

**The timers.** For every task, Celery's prefork pool arms a time-limit timer in the
worker's main process and cancels it when the task ends; kombu's timer only marks a
cancelled entry, which stays (with its arguments) until the time it was set for
(celery/celery#1129, #5200), so the process grows with the tasks of the last soft time
limit (BENCHMARKS.md). ``purge_cancelled`` drops them from ``Timer._queue``; kombu has
no public way to.

``tests/contracts/test_kombu.py`` and ``tests/contracts/test_kombu_sources.py`` pin every
internal this relies on, and fail when a kombu upgrade changes one.
"""

import base64
import heapq
import uuid
from collections.abc import Callable
from queue import Empty
from typing import Any

from kombu.asynchronous.timer import Timer
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

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


UNDECODABLE = "application/x-undecodable-queue-item"
"""Content type of a message standing in for a queue item that is no kombu message."""
REASON_HEADER = "undecodable"
"""Header of such a message: why the item could not be read."""


class NotAMessage(Exception):
    """A queue item's JSON is no kombu message (none ``QoS`` could hold unacknowledged)."""


class Message(virtual.Message):
    """kombu's message, but one that cannot be built raises ``NotAMessage``: kombu counts
    ``KeyError`` (a missing field) among connection errors, and any other error here
    reached the consumer's loop as fatal."""

    def __init__(self, payload: Any, channel: Any = None, **kwargs: Any) -> None:
        try:
            super().__init__(payload, channel, **kwargs)
            # what QoS.append stores the message under
            if not isinstance(self.delivery_tag, str | int):
                raise TypeError(f"delivery_tag is {type(self.delivery_tag).__name__}")
            info = self.delivery_info
            if not (isinstance(info, dict) and {"exchange", "routing_key"} <= info.keys()):
                raise TypeError("delivery_info has no exchange and routing_key")
        except Exception as exc:
            raise NotAMessage(f"{type(exc).__name__}: {exc}") from exc


def undecodable_message(item: bytes, queue: str, reason: str) -> dict[str, Any]:
    """A kombu message (as kombu stores one) whose body is ``item``, byte for byte."""
    return {
        "body": base64.b64encode(item).decode(),
        "content-type": UNDECODABLE,
        "content-encoding": "binary",
        "headers": {REASON_HEADER: reason[:1000]},
        "properties": {
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
        },
    }


class Channel(kombu_redis.Channel):
    """Reuses one synchronous client per channel and connection pool: kombu builds a new
    client object (response-callback tables and all) for every publish, ack and
    restore, a tenth of a busy worker's main process in a profile. Delivers a queue item
    that is no kombu message as an ``UNDECODABLE`` message instead of failing."""

    QoS = QoS
    Message = Message
    _sync_client: Any = None
    # kombu's, undeclared in its type stubs
    connection_errors: tuple[type[BaseException], ...]
    _queue_cycle: Any
    _flush_brpop_reauth: Callable[[], None]

    def _brpop_read(self, **options: Any) -> bool:
        # kombu 5.7's Channel._brpop_read, but for the delivery (_deliver_item)
        try:
            try:
                dest__item = self.client.parse_response(self.client.connection, "BRPOP", **options)
            except self.connection_errors:
                # if there's a ConnectionError, disconnect so the next
                # iteration will reconnect automatically.
                self.client.connection.disconnect()
                raise
            if dest__item:
                dest, item = dest__item
                dest = bytes_to_str(dest).rsplit(self.sep, 1)[0]
                self._queue_cycle.rotate(dest)
                self._deliver_item(item, dest)
                return True
            else:
                raise Empty()
        finally:
            self._in_poll = None
            self._flush_brpop_reauth()

    def _deliver_item(self, item: bytes, queue: str) -> None:
        try:
            payload = loads(bytes_to_str(item))
        except Exception as exc:  # only what the item holds can fail here
            self._deliver_undecodable(item, queue, exc)
            return
        try:
            self.connection._deliver(payload, queue)
        except NotAMessage as exc:  # raised before any consumer saw it
            self._deliver_undecodable(item, queue, exc)

    def _deliver_undecodable(self, item: bytes, queue: str, exc: BaseException) -> None:
        reason = str(exc) if isinstance(exc, NotAMessage) else f"{type(exc).__name__}: {exc}"
        log.warning("queue_item_undecodable", queue=queue, size=len(item), reason=reason[:200])
        self.connection._deliver(undecodable_message(item, queue, reason), queue)

    def _deliver_fanout_message(self, message: Any, exchange: str) -> bool:
        # a broadcast (Celery's control commands) that is no message is dropped, as
        # kombu drops one that is no JSON
        try:
            return bool(super()._deliver_fanout_message(message, exchange))  # type: ignore[misc]
        except NotAMessage as exc:
            log.warning("broadcast_undecodable", exchange=exchange, error=str(exc)[:200])
            raise Empty() from None

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
