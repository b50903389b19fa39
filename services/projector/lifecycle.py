"""Read the worker's durable lifecycle stream in a consumer group.

Several projector replicas share the group; entries a dead replica left pending are
claimed (XAUTOCLAIM) after ``LIFECYCLE_CLAIM_IDLE`` seconds, and entries older than
``STREAM_RETENTION_SECONDS`` that every group has finished are trimmed. An entry is acknowledged
after the projector applied it (applying twice is harmless: the view is idempotent).
"""

import threading
import time
from typing import Any

import redis

from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.lifecycle import LifecycleEntry
from shared.logging import get_logger
from shared.streams import TRIM_LUA, age_cutoff_id

log = get_logger(__name__)

BATCH = 200
"""Entries a read takes at most."""


class LifecycleConsumer:
    def __init__(
        self, settings: ProjectorSettings, client: redis.Redis, projector: Projector
    ) -> None:
        self._s = settings
        self._redis = client
        self._projector = projector
        self._trim = client.register_script(TRIM_LUA)
        self.stopped = threading.Event()
        self._unacked: list[str] = []
        """Entries of the last batch, applied: acknowledged with the next read."""

    def ensure_group(self) -> None:
        try:
            self._redis.xgroup_create(
                self._s.stream_lifecycle, self._s.projector_group, id="0", mkstream=True
            )
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self) -> None:
        delay = 0.1
        last_claim = 0.0
        while not self.stopped.is_set():
            try:
                if time.monotonic() - last_claim > self._s.lifecycle_claim_idle / 2:
                    self.ensure_group()
                    self._claim()
                    cutoff = age_cutoff_id(self._s.stream_retention_seconds)
                    self._trim(keys=[self._s.stream_lifecycle], args=[cutoff])
                    last_claim = time.monotonic()
                read = self._read()
                if 0 < read < BATCH and self._s.lifecycle_batch_wait:
                    # entries keep coming: let a few more gather (one read and one write
                    # per batch: at ~1 entry a batch, 2 round trips each)
                    time.sleep(self._s.lifecycle_batch_wait)
                delay = 0.1
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.error("lifecycle_group_missing", group=self._s.projector_group)
                self._unacked = []  # the group's pending list went with it
                last_claim = 0.0  # re-create the group now
            except redis.RedisError as exc:
                log.warning("lifecycle_read_failed", error=str(exc), retry_in=delay)
                time.sleep(delay)
                delay = min(self._s.reconnect_max_delay, delay * 2)

    def _read(self) -> int:
        """Acknowledge the last batch and read the next in one round trip, then apply it;
        how many entries it read.

        A batch is acknowledged only once applied; if this replica dies in between, the
        batch stays pending and is applied again (harmlessly) by whoever claims it."""
        pipe = self._redis.pipeline(transaction=False)
        if self._unacked:
            pipe.xack(self._s.stream_lifecycle, self._s.projector_group, *self._unacked)
        pipe.xreadgroup(
            self._s.projector_group,
            self._s.projector_consumer,
            {self._s.stream_lifecycle: ">"},
            count=BATCH,
            block=1000,
        )
        response: Any = pipe.execute()[-1]
        self._unacked = []
        for _, entries in response or []:
            self._apply(entries)
            self._unacked.extend(entry_id for entry_id, _ in entries)
        return len(self._unacked)

    def _claim(self) -> None:
        claimed: Any = self._redis.xautoclaim(
            self._s.stream_lifecycle,
            self._s.projector_group,
            self._s.projector_consumer,
            min_idle_time=int(self._s.lifecycle_claim_idle * 1000),
            count=500,
        )
        entries = claimed[1]
        if entries:
            log.info("lifecycle_entries_claimed", count=len(entries))
            self._apply(entries)
            ids = [entry_id for entry_id, _ in entries]
            self._redis.xack(self._s.stream_lifecycle, self._s.projector_group, *ids)

    def _apply(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Apply a batch, in one round trip."""
        decoded = []
        for entry_id, fields in entries:
            if not fields:  # deleted while pending
                continue
            try:
                decoded.append(LifecycleEntry.from_fields(fields))
            except (KeyError, TypeError, ValueError):
                log.exception("lifecycle_entry_failed", entry_id=entry_id)
        self._projector.apply(decoded)
