"""A durable copy of the task lifecycle: the worker appends it to a Redis stream.

Celery's task events travel over Redis pub/sub, so whatever is sent while no projector
listens is lost (celery/celery#5317). The worker therefore also XADDs each step of its
tasks to ``STREAM_LIFECYCLE`` in the same shape as Celery's events; the projector reads
that stream in a consumer group and applies both sources through the same, idempotent
path. ``task-succeeded`` carries the task's result as JSON (``result_json``). Each
entry carries the ``traceparent`` of the task's run span, so the projector's
update joins the request's trace as the run's child.

``task-succeeded`` is the only durable copy of a pipeline task's result (the dispatcher
sends with ``ignore_result``). The task appends it itself, as the last step of its body
(``succeeded``): the XADD is retried while Redis is away, for ``DURABLE_SECONDS``, as
Celery retries a result backend write; if it still fails, the task fails with that error
and is retried like any transient failure (a rerun finds its stored summary and appends
again). So a task is acknowledged as done only once its result is on the stream. The
other steps are best effort (``emit``): a failed XADD is logged, not raised; the Celery
event still goes out, and a failure's meta is in the result backend, where the projector
and its reconciler read it.

``task-started`` is sent without waiting for its answer (``started``), so the task's body
does not wait a round trip for it (6 % of a pool process's time when tasks are short, in
``bench.pipeline``). It goes out on a connection of the thread's own, outside the pool,
and the answer is read (``settle``) before the thread's next append: every command
there is answered and every answer read in order, so none can reach another command,
and the started entry is on the stream before the task's next step is appended.
"""

import os
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from celery import Celery, signals
from celery.exceptions import Retry

from contracts.streams import TaskHeaders, TaskNames
from services.worker.retry import backoff_delay
from shared.errors import is_permanent
from shared.logging import get_logger
from shared.redis_client import sync_redis
from shared.settings import CommonSettings
from shared.telemetry import current_traceparent

log = get_logger(__name__)

OUR_TASKS = frozenset({TaskNames.SESSION, TaskNames.PROFILE})
DURABLE_SECONDS = 60.0
"""How long ``succeeded`` keeps trying to append while Redis is away (connection errors,
timeouts), backing off from 0.05 s to 2 s between tries."""
SOCKET_TIMEOUT = 5.0
"""A reply that takes longer is a timeout (a half-open connection never answers)."""


class _OwnConnection(threading.local):
    """A thread's connection for appends whose answers are read later (``unread``: their
    task ids, oldest first), and the process that made it."""

    def __init__(self) -> None:
        self.connection: Any = None  # (redis-py's Connection is untyped)
        self.pid = 0
        self.unread: list[str] = []


class LifecycleStream:
    def __init__(self, settings: CommonSettings) -> None:
        self._url = settings.redis_url
        self._stream = settings.stream_lifecycle
        self._hostname = f"{socket.gethostname()}:{os.getpid()}"
        self._client: redis.Redis | None = None
        self._pid = 0
        self._own = _OwnConnection()

    def _redis(self) -> redis.Redis:
        if self._client is None or self._pid != os.getpid():
            self._client = sync_redis(self._url, socket_timeout=SOCKET_TIMEOUT)
            self._pid = os.getpid()
        return self._client

    def _entry(self, event_type: str, task_id: str, fields: dict[str, Any]) -> dict[str, str]:
        return {
            "type": event_type,
            "uuid": task_id,
            "timestamp": repr(time.time()),
            "hostname": self._hostname,
            **current_traceparent(),
            **{k: str(v) for k, v in fields.items() if v is not None},
        }

    def started(self, task_id: str, retries: int, attempt: int | None = None) -> None:
        """Append ``task-started`` of retry ``retries`` (attempt number ``attempt``, by
        default ``retries + 1``), best effort, without waiting for the answer: it is read
        by the thread's next append. Nothing is raised; a failure is logged."""
        try:
            fields = {"retries": retries, "attempt": attempt or retries + 1}
            entry = self._entry("task-started", task_id, fields)
            xadd: list[str] = [self._stream, "*"]
            for field, value in entry.items():
                xadd += (field, value)
            self.settle()
            own = self._own
            if own.connection is None or own.pid != os.getpid():
                pool = self._redis().connection_pool
                # its own: the pool's health check would read a pending answer as its PING's
                kwargs = {**pool.connection_kwargs, "health_check_interval": 0}
                own.connection, own.pid, own.unread = (
                    pool.connection_class(**kwargs),
                    os.getpid(),
                    [],
                )
            own.connection.send_command("XADD", *xadd)
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
        while own.unread:
            task_id = own.unread.pop(0)
            try:
                own.connection.read_response()
            except redis.ResponseError as exc:
                log.warning("lifecycle_append_failed", task_id=task_id, error=str(exc))
            except Exception as exc:  # the connection is gone, and its other answers
                log.warning("lifecycle_append_unconfirmed", task_id=task_id, error=str(exc))
                self._drop_own()

    def _drop_own(self) -> None:
        own = self._own
        if own.connection is not None and own.pid == os.getpid():
            own.connection.disconnect()
        own.connection, own.pid, own.unread = None, 0, []

    def emit(self, event_type: str, task_id: str, **fields: Any) -> None:
        """Append one step, best effort: a Redis error is logged, not raised."""
        self.settle()
        try:
            self._redis().xadd(self._stream, self._entry(event_type, task_id, fields))  # type: ignore[arg-type]
        except redis.RedisError as exc:
            log.warning("lifecycle_append_failed", task_id=task_id, error=str(exc))

    def succeeded(self, task_id: str, result: Any) -> None:
        """Append ``task-succeeded`` with the result as JSON (``result_json``: the projector
        needs no result backend), retrying while Redis is away; raises what stopped it."""
        self.settle()
        result_json = orjson.dumps(result).decode()
        entry = self._entry("task-succeeded", task_id, {"result_json": result_json})
        deadline = time.monotonic() + DURABLE_SECONDS
        tries = 0
        while True:
            try:
                self._redis().xadd(self._stream, entry)  # type: ignore[arg-type]
                return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                delay = backoff_delay(tries, 0.05, 2.0)
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("lifecycle_append_retrying", task_id=task_id, error=str(exc))
                time.sleep(delay)
                tries += 1


def error_fields(exc: BaseException) -> dict[str, str]:
    """An error as the entry's fields: its type, its message and whether it is permanent
    (declared by the exception: ``shared.errors.is_permanent``)."""
    return {
        "error_type": type(exc).__name__,
        "error_message": str(exc),
        "permanent": "1" if is_permanent(exc) else "0",
    }


def attempt_of(request: Any) -> int:
    """The number of a task request's attempt, after a redriven task's earlier attempts
    (the dispatcher's ``attempts_before`` header, kept by Celery's retries)."""
    before = (request.headers or {}).get(TaskHeaders.ATTEMPTS_BEFORE) or 0
    return int(before) + int(request.retries or 0) + 1


def _seconds_until(when: Any) -> str:
    """A retry's delay in seconds (Celery gives a countdown or an ETA)."""
    if isinstance(when, datetime):
        eta = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        return f"{max(0.0, (eta - datetime.now(UTC)).total_seconds()):.3f}"
    return f"{float(when or 0):.3f}"


def connect_lifecycle(app: Celery, stream: LifecycleStream) -> None:
    """Append started / retried / failed / revoked of this app's tasks, best effort (the
    task appends ``task-succeeded`` itself: ``LifecycleStream.succeeded``).

    The handlers listen to this app's task objects only (the signals' ``sender``): another
    app in the same process, a test's for instance, reaches another stream or none.
    ``task-started`` carries the attempt (``retries``), so Celery's ``task-received``
    adds nothing the projector needs and is not copied."""

    def started(task_id: str = "", task: Any = None, **_: Any) -> None:
        stream.started(task_id, task.request.retries, attempt_of(task.request))

    def retried(request: Any = None, reason: Any = None, **_: Any) -> None:
        if request is not None and isinstance(reason, Retry):
            stream.emit(
                "task-retried",
                request.id,
                retries=request.retries,
                attempt=attempt_of(request),
                retry_in=_seconds_until(reason.when),
                **error_fields(reason.exc if reason.exc is not None else reason),
            )

    def failed(sender: Any = None, task_id: str = "", exception: Any = None, **_: Any) -> None:
        attempt = attempt_of(sender.request)
        stream.emit("task-failed", task_id, attempt=attempt, **error_fields(exception))

    def revoked(request: Any = None, expired: bool = False, **_: Any) -> None:
        if request is not None:
            stream.emit("task-revoked", request.id, expired="1" if expired else "")

    for name in sorted(OUR_TASKS):
        task = app.tasks[name]
        signals.task_prerun.connect(started, sender=task, weak=False)
        signals.task_retry.connect(retried, sender=task, weak=False)
        signals.task_failure.connect(failed, sender=task, weak=False)
        signals.task_revoked.connect(revoked, sender=task, weak=False)
