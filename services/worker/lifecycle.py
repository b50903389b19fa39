"""The worker's side of the lifecycle stream: how entries are appended.

What is appended, and when, is ``services.worker.reporting``'s; the entry format is
``shared.lifecycle``'s. Celery's task events travel over Redis pub/sub, lost while no
projector listens (celery/celery#5317): the stream is the durable way, read by the
projectors in a consumer group.

``append`` is for an entry the pipeline cannot do without (a success carries the only
copy of a pipeline task's result: the dispatcher sends with ``ignore_result``): the XADD
is retried while Redis is away, for ``DURABLE_SECONDS``, as Celery retries a result
backend write; then what stopped it is raised. ``emit`` is best effort: a failed XADD is
logged, not raised (the reconciler repairs what never arrives).

``started`` sends ``task-started`` without waiting for its answer, so the task's body
does not wait a round trip for it. It goes out on a connection of the thread's own,
outside the pool, and the answer is read (``settle``) before the thread's next append:
every command there is answered and every answer read in order, so none can reach
another command, and the started entry is on the stream before the task's next step is
appended.
"""

import os
import socket
import threading
import time
from typing import Any

import redis

from services.worker.retry import backoff_delay
from shared.adapters.redis import DeferredReplies
from shared.lifecycle import LifecycleEntry, LifecycleEvent
from shared.logging import get_logger
from shared.redis_client import sync_redis
from shared.settings import CommonSettings
from shared.telemetry import current_traceparent

log = get_logger(__name__)

DURABLE_SECONDS = 60.0
"""How long ``append`` keeps trying to append while Redis is away (connection errors,
timeouts), backing off from 0.05 s to 2 s between tries."""
SOCKET_TIMEOUT = 5.0
"""A reply that takes longer is a timeout (a half-open connection never answers)."""


class _OwnConnection(threading.local):
    """A thread's connection for appends whose answers are read later (``unread``: their
    task ids, oldest first), and the process that made it."""

    def __init__(self) -> None:
        self.connection: DeferredReplies | None = None
        self.pid = 0
        self.unread: list[str] = []


class LifecycleStream:
    def __init__(self, settings: CommonSettings) -> None:
        self._url = settings.redis_url
        self._tls = settings.redis_tls
        self._stream = settings.stream_lifecycle
        self._hostname = f"{socket.gethostname()}:{os.getpid()}"
        self._client: redis.Redis | None = None
        self._pid = 0
        self._own = _OwnConnection()

    def _redis(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():
            self._client = sync_redis(self._url, self._tls, socket_timeout=SOCKET_TIMEOUT)
            self._pid = os.getpid()
        return self._client

    def entry(self, event: LifecycleEvent, task_id: str, **fields: Any) -> LifecycleEntry:
        """An entry of this worker, now, in the current trace context."""
        return LifecycleEntry(
            event,
            task_id,
            time.time(),
            worker=self._hostname,
            traceparent=current_traceparent().get("traceparent", ""),
            **fields,
        )

    def started(self, entry: LifecycleEntry) -> None:
        """Append ``task-started``, best effort, without waiting for the answer: it is read
        by the thread's next append. Nothing is raised; a failure is logged."""
        task_id = entry.task_id
        try:
            xadd: list[str] = [self._stream, "*"]
            for field, value in entry.to_fields().items():
                xadd += (field, value)
            self.settle()
            own = self._own
            if own.connection is None or own.pid != os.getpid():
                own.connection, own.pid, own.unread = (
                    DeferredReplies(self._redis()),
                    os.getpid(),
                    [],
                )
            own.connection.send("XADD", *xadd)
            own.unread.append(task_id)
        except redis.RedisError as exc:
            log.warning("lifecycle_append_failed", task_id=task_id, error=str(exc))
            self._drop_own()
        except Exception as exc:  # a signal handler: nothing may escape into the task
            log.warning("lifecycle_append_failed", task_id=task_id, error=repr(exc))

    def settle(self) -> None:
        """Read the answers to this thread's appends sent without waiting (a refusal is
        logged); they arrived while the task ran, so this rarely waits."""
        own = self._own
        if own.pid != os.getpid():  # made by the process this one was forked from
            own.connection, own.pid, own.unread = None, 0, []
            return
        while own.unread and own.connection is not None:
            task_id = own.unread.pop(0)
            try:
                own.connection.read()
            except redis.ResponseError as exc:
                log.warning("lifecycle_append_failed", task_id=task_id, error=str(exc))
            except Exception as exc:  # the connection is gone, and its other answers
                log.warning("lifecycle_append_unconfirmed", task_id=task_id, error=str(exc))
                self._drop_own()

    def _drop_own(self) -> None:
        own = self._own
        if own.connection is not None and own.pid == os.getpid():
            own.connection.close()
        own.connection, own.pid, own.unread = None, 0, []

    def emit(self, entry: LifecycleEntry) -> None:
        """Append one step, best effort: a Redis error is logged, not raised."""
        self.settle()
        try:
            self._redis().xadd(self._stream, entry.to_fields())  # type: ignore[arg-type]
        except redis.RedisError as exc:
            log.warning("lifecycle_append_failed", task_id=entry.task_id, error=str(exc))

    def append(self, entry: LifecycleEntry) -> None:
        """Append one step, retrying while Redis is away; raises what stopped it."""
        self.settle()
        fields = entry.to_fields()
        deadline = time.monotonic() + DURABLE_SECONDS
        tries = 0
        while True:
            try:
                self._redis().xadd(self._stream, fields)  # type: ignore[arg-type]
                return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                delay = backoff_delay(tries, 0.05, 2.0)
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("lifecycle_append_retrying", task_id=entry.task_id, error=str(exc))
                time.sleep(delay)
                tries += 1
