"""The Celery application as every service configures it (JSON only).

The dispatcher sends tasks by name with it, the worker registers the tasks on it and the
projector reads worker heartbeats and results through it: one configuration, three roles.

Workers send heartbeats but no task events: a task's steps reach the projector on the
worker's lifecycle stream. A monitor that wants task events (Flower) turns them on at
run time, as Flower does by itself (``celery control enable_events``).
"""

from collections.abc import Mapping
from typing import Any

from celery import Celery

from contracts.streams import TaskNames
from shared.settings import CommonSettings

BROKER_SOCKET_TIMEOUT = 10.0
"""Seconds a producer with ``batch_sends`` waits for Redis (a half-open connection never
answers)."""


def make_celery(
    settings: CommonSettings,
    main: str = "summarization",
    results: bool = True,
    batch_sends: bool = False,
) -> Celery:
    """The Celery app. ``results=False`` for a producer that never reads results: Celery's
    Redis backend otherwise SUBSCRIBEs to every sent task's result channel, and keeps
    those subscriptions (and their memory) until someone reads the results.
    ``batch_sends=True`` for a producer that sends
    through kombu's publish batches (one pipeline for many tasks): kombu allows them only
    when redis-py will not replay a pipeline by itself, so ``retry_on_timeout`` is off
    (the dispatcher's sender sends a failed batch again, one task at a time, through
    kombu's publish retries), and a reply Redis does not send within
    ``BROKER_SOCKET_TIMEOUT`` seconds fails the send instead of blocking it."""
    app = Celery(
        main,
        broker=settings.celery_broker_url,
        backend=settings.celery_result_backend if results else "disabled",
        set_as_current=False,
    )
    transport: dict[str, Any] = {
        "visibility_timeout": settings.broker_visibility_timeout,
        # A dead worker's unacknowledged tasks come back once they are older than the
        # visibility timeout; sweep for them often enough that this is all they wait
        # (kombu's default sweep is every 10 s x 10 throttled calls = 100 s).
        "unacked_restore_interval": max(1, min(10, settings.broker_visibility_timeout // 4)),
        "unacked_restore_throttle": 1,
        "health_check_interval": 25,
        "socket_keepalive": True,
        "retry_on_timeout": not batch_sends,
    }
    if batch_sends:
        transport["socket_timeout"] = BROKER_SOCKET_TIMEOUT
        transport["socket_connect_timeout"] = BROKER_SOCKET_TIMEOUT
    backend: dict[str, Any] = {}
    if settings.celery_key_prefix:
        transport["global_keyprefix"] = settings.celery_key_prefix
        backend["global_keyprefix"] = settings.celery_key_prefix
    app.conf.update(
        # rediss://: the settings' TLS options (kombu would otherwise not verify at all)
        broker_use_ssl=settings.redis_tls.celery_options(settings.celery_broker_url),
        redis_backend_use_ssl=settings.redis_tls.celery_options(settings.celery_result_backend),
        broker_transport="shared.adapters.kombu:Transport",
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        task_track_started=True,
        task_send_sent_event=False,
        worker_send_task_events=False,
        result_extended=True,
        result_expires=settings.status_ttl_seconds,
        task_routes={
            TaskNames.SESSION: {"queue": settings.queue_session},
            TaskNames.PROFILE: {"queue": settings.queue_profile},
        },
        task_default_queue=settings.queue_profile,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        broker_transport_options=transport,
        result_backend_transport_options=backend,
        # A result that cannot be stored (Redis restarting) is retried, not turned into a
        # FAILURE of a task whose work is done.
        result_backend_always_retry=True,
        result_backend_max_retries=30,
        result_backend_base_sleep_between_retries_ms=50,
        result_backend_max_sleep_between_retries_ms=2000,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
    )
    return app


def kwargs_repr(kwargs: Mapping[str, object]) -> str:
    """What Celery shows of a task's arguments (its "Received task" log line, Flower): the
    ids, never the transcript. Passed as ``kwargsrepr`` by every send (the dispatcher's,
    a retry's); it also spares Celery a ``saferepr`` of the whole transcript per send
    (a measurable part of the dispatcher's CPU: BENCHMARKS.md)."""
    shown = {k: v for k, v in kwargs.items() if k != "transcript"}
    transcript = kwargs.get("transcript")
    if isinstance(transcript, list):
        shown["transcript"] = f"<{len(transcript)} turns>"
    return repr(shown)
