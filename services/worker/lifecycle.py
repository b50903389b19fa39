"""A durable copy of the task lifecycle: the worker appends it to a Redis stream.

Celery's task events travel over Redis pub/sub, so whatever is sent while no projector
listens is lost (celery/celery#5317). The worker therefore also XADDs each step of its
tasks to ``STREAM_LIFECYCLE`` in the same shape as Celery's events; the projector reads
that stream in a consumer group and applies both sources through the same, idempotent
path. ``task-succeeded`` carries the task's result as JSON (``result_json``). Each
entry carries the ``traceparent`` of the task's run span, so the projector's
update joins the request's trace as the run's child.

``task-succeeded`` is the only durable copy of a pipeline task's result (the dispatcher
sends with ``ignore_result``), so its XADD is retried for about a minute, as Celery
retries a result backend write (``result_backend_always_retry``), before the task is
acknowledged. The other steps are best effort: a failed XADD is logged, not raised; the
Celery event still goes out, and a failure's meta is in the result backend, where the
projector's reconciler finds it.
"""

import os
import socket
import time
from typing import Any

import orjson
import redis
from celery import Celery, signals
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from contracts.streams import TaskNames
from shared.logging import get_logger
from shared.redis_client import sync_redis
from shared.settings import CommonSettings
from shared.telemetry import current_traceparent

log = get_logger(__name__)

OUR_TASKS = frozenset({TaskNames.SESSION, TaskNames.PROFILE})
DURABLE_RETRY = Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=12)
"""A durable step's XADD: 12 more tries, 2 s apart at most, each with the client's own
retries (``shared.redis_client``): about a minute of Redis being away."""


class LifecycleStream:
    def __init__(self, settings: CommonSettings) -> None:
        self._url = settings.redis_url
        self._stream = settings.stream_lifecycle
        self._hostname = f"{socket.gethostname()}:{os.getpid()}"
        self._client: redis.Redis | None = None
        self._pid = 0

    def _redis(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():
            self._client = sync_redis(self._url)
            self._pid = os.getpid()
        return self._client

    def emit(self, event_type: str, task_id: str, durable: bool = False, **fields: Any) -> None:
        """Append one step; ``durable`` retries the XADD (``DURABLE_RETRY``) first."""
        entry = {
            "type": event_type,
            "uuid": task_id,
            "timestamp": repr(time.time()),
            "hostname": self._hostname,
            **current_traceparent(),
            **{k: str(v) for k, v in fields.items() if v is not None},
        }

        def append() -> None:
            self._redis().xadd(self._stream, entry)  # type: ignore[arg-type]

        def retrying(exc: Exception) -> None:
            log.warning("lifecycle_append_retrying", task_id=task_id, error=str(exc))

        try:
            if durable:
                DURABLE_RETRY.call_with_retry(append, retrying)
            else:
                append()
        except redis.RedisError as exc:
            (log.error if durable else log.warning)(
                "lifecycle_append_failed", task_id=task_id, error=str(exc), durable=durable
            )


def connect_lifecycle(app: Celery, stream: LifecycleStream) -> None:
    """Append started / retried / succeeded / failed / revoked of our tasks.

    ``task-started`` carries the attempt (``retries``), so Celery's ``task-received``
    adds nothing the projector needs and is not copied."""

    def ours(name: object) -> bool:
        return name in OUR_TASKS

    @signals.task_prerun.connect(weak=False)
    def started(task_id: str = "", task: Any = None, **_: Any) -> None:
        if task is not None and ours(task.name):
            stream.emit("task-started", task_id, retries=task.request.retries)

    @signals.task_retry.connect(weak=False)
    def retried(sender: Any = None, request: Any = None, reason: Any = None, **_: Any) -> None:
        if sender is not None and ours(sender.name) and request is not None:
            stream.emit("task-retried", request.id, exception=repr(reason), retries=request.retries)

    @signals.task_success.connect(weak=False)
    def succeeded(sender: Any = None, result: Any = None, **_: Any) -> None:
        if sender is not None and ours(sender.name):
            # the result rides along: the projector need not read the result backend
            stream.emit(
                "task-succeeded", sender.request.id, durable=True, result_json=_json(result)
            )

    @signals.task_failure.connect(weak=False)
    def failed(sender: Any = None, task_id: str = "", exception: Any = None, **_: Any) -> None:
        if sender is not None and ours(sender.name):
            stream.emit("task-failed", task_id, exception=repr(exception))

    @signals.task_revoked.connect(weak=False)
    def revoked(request: Any = None, expired: bool = False, **_: Any) -> None:
        if request is not None and ours(request.name):
            stream.emit("task-revoked", request.id, expired="1" if expired else "")


def _json(result: Any) -> str | None:
    try:
        return orjson.dumps(result).decode()
    except TypeError:
        return (
            None  # not JSON (never, for the jobs' payloads): the projector reads the result backend
        )
