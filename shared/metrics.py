"""Prometheus metrics shared by several services, and the Redis state collector.

Counters and histograms live in the process that observes the thing; the state of
streams, groups and queues is read from Redis when Prometheus scrapes (the projector
serves it), so every replica reports the same figures and nothing is double counted.
"""

from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.settings import CommonSettings


class RedisStateCollector(Collector):
    """Stream length, group lag and pending entries, Celery queue depth, active tasks."""

    def __init__(self, client: redis.Redis, settings: CommonSettings) -> None:
        self._redis = client
        self._s = settings

    def streams(self) -> dict[str, str]:
        s = self._s
        return {
            "requested": s.stream_requested,
            "requested_dlq": s.stream_requested_dlq,
            "completed": s.stream_completed,
            "failed": s.stream_failed,
            "tasks_dlq": s.stream_tasks_dlq,
            "lifecycle": s.stream_lifecycle,
        }

    def collect(self) -> Iterator[GaugeMetricFamily]:
        length = GaugeMetricFamily(
            "summarization_stream_length", "Entries in the stream", labels=["stream"]
        )
        lag = GaugeMetricFamily(
            "summarization_stream_group_lag",
            "Entries a consumer group has not read yet",
            labels=["stream", "group"],
        )
        pending = GaugeMetricFamily(
            "summarization_stream_group_pending",
            "Entries read by a consumer group but not acknowledged",
            labels=["stream", "group"],
        )
        queue = GaugeMetricFamily(
            "summarization_celery_queue_depth", "Tasks waiting in a Celery queue", labels=["queue"]
        )
        active = GaugeMetricFamily(
            "summarization_tasks_active", "Tasks accepted and not yet finished"
        )
        try:
            for label, name in self.streams().items():
                length.add_metric([label], self._redis.xlen(name))
                if label in ("requested", "lifecycle") and self._redis.exists(name):
                    for group in self._redis.xinfo_groups(name):
                        group_name = _text(group["name"])
                        lag_value = group.get("lag")
                        lag.add_metric([label, group_name], float(lag_value or 0))
                        pending.add_metric([label, group_name], float(group["pending"]))
            prefix = self._s.celery_key_prefix
            for q in sorted(set(self._s.queues.values())):
                queue.add_metric([q], self._redis.llen(f"{prefix}{q}"))
            active.add_metric([], self._redis.zcard(f"{self._s.key_prefix}active"))
        except redis.RedisError:
            return
        yield from (length, lag, pending, queue, active)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
