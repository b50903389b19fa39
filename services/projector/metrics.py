"""The projector's metrics: task outcomes, timings, repairs, worker heartbeats."""

import contextlib
import time
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800)

FINISHED = Counter(
    "summarization_tasks_finished_total", "Tasks that reached a final status", ["kind", "status"]
)
PUBLISHED = Counter(
    "summarization_outcome_events_published_total", "Completion and failure events", ["stream"]
)
DURATION = Histogram(
    "summarization_task_duration_seconds", "From STARTED to final status", ["kind"],
    buckets=BUCKETS,
)  # fmt: skip
QUEUE_WAIT = Histogram(
    "summarization_task_queue_wait_seconds", "From accepted to STARTED", ["kind"],
    buckets=BUCKETS,
)  # fmt: skip
PROJECTOR_LAG = Histogram(
    "summarization_projector_lag_seconds", "From the terminal event to the status written",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)  # fmt: skip
REPAIRS = Counter(
    "summarization_reconciler_repairs_total", "Stale records repaired from the result backend"
)
DEAD_LETTERS = Counter(
    "summarization_tasks_dead_lettered_total", "Tasks written to the tasks dead-letter stream"
)
HEARTBEAT = Gauge(
    "summarization_worker_last_heartbeat_timestamp_seconds",
    "When a Celery worker last sent a heartbeat",
    ["worker"],
)
WORKERS_ALIVE = Gauge(
    "summarization_workers_alive", "Workers with a heartbeat in the last 2 minutes"
)

_seen: dict[str, float] = {}
WORKERS_ALIVE.set_function(lambda: sum(1 for t in _seen.values() if time.time() - t < 120))


def worker_event(event_type: str, hostname: str, timestamp: float) -> None:
    """Track worker-online / -heartbeat / -offline events."""
    if event_type == "worker-offline":
        _seen.pop(hostname, None)
        with contextlib.suppress(KeyError):
            HEARTBEAT.remove(hostname)
        return
    _seen[hostname] = timestamp
    HEARTBEAT.labels(hostname).set(timestamp)


def observe_outcome(
    kind: str, status: str, stream: str, started_at: str, finished: float, dead_lettered: bool
) -> None:
    """Count one published outcome, its duration (from its attempt's start) and the
    projector's lag (from the terminal step to now, when its outcome is out)."""
    FINISHED.labels(kind, status).inc()
    PUBLISHED.labels(stream).inc()
    if dead_lettered:
        DEAD_LETTERS.inc()
    started = _epoch(started_at)
    if started:
        DURATION.labels(kind).observe(max(0.0, finished - started))
    PROJECTOR_LAG.observe(max(0.0, time.time() - finished))


def observe_first_start(kind: str, created_at: str, started: float) -> None:
    """A task's wait in the queue, from its acceptance to its first attempt's start."""
    created = _epoch(created_at)
    if created:
        QUEUE_WAIT.labels(kind).observe(max(0.0, started - created))


def _epoch(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None
