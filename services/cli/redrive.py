"""``summarization redrive``: list dead letters and submit chosen ones again.

    summarization redrive list [--dlq requested|tasks|all]
    summarization redrive submit (--id ID ... | --match TEXT | --all) [--dlq ...] [--dry-run]

A redriven entry is published on ``summarization.requested`` again with its original
task id and idempotency key; its status record goes back to PENDING (the ``redrive``
transition: the new run shows in the status view, the earlier attempts are kept), its
old Celery result and dispatch record are forgotten, and the dead-letter entry is
deleted.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import redis
from celery import Celery

from shared.dead_letters import UNDECODABLE_REASON
from shared.envelope import DATA_FIELD, encode_envelope
from shared.settings import CommonSettings
from shared.task_state import StateConfig, StateWriter, redrive


@dataclass(frozen=True)
class DeadLetter:
    dlq: str
    entry_id: str
    fields: dict[str, str]

    @property
    def payload(self) -> Any:
        raw = self.fields.get("payload", "")
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    @property
    def task_id(self) -> str:
        payload = self.payload
        from_payload = payload.get("task_id") if isinstance(payload, dict) else None
        return self.fields.get("task_id") or str(from_payload or "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "dlq": self.dlq,
            "id": self.entry_id,
            "task_id": self.task_id,
            "reason": self.fields.get("reason", ""),
            "failed_at": self.fields.get("failed_at", ""),
            "trace_id": self.fields.get("trace_id", ""),
            "attempts": self.fields.get("attempts") or self.fields.get("deliveries", ""),
            "errors": json.loads(self.fields.get("errors") or "[]"),
            "payload": self.payload,
        }


class Redrive:
    def __init__(self, settings: CommonSettings, client: redis.Redis, celery: Celery) -> None:
        self._s = settings
        self._redis = client
        self._celery = celery
        self._state = StateWriter(client, StateConfig.of(settings))
        self.streams = {
            "requested": settings.stream_requested_dlq,
            "tasks": settings.stream_tasks_dlq,
        }

    def entries(self, which: str = "all") -> Iterator[DeadLetter]:
        names = self.streams.values() if which == "all" else [self.streams[which]]
        for stream in names:
            entries: list[tuple[str, dict[str, str]]] = self._redis.xrange(stream)  # type: ignore[assignment]
            for entry_id, fields in entries:
                yield DeadLetter(stream, entry_id, fields)

    def select(
        self, which: str, ids: list[str], match: str | None, everything: bool
    ) -> list[DeadLetter]:
        chosen = []
        for letter in self.entries(which):
            text = f"{letter.fields.get('reason', '')} {letter.task_id}"
            if everything or letter.entry_id in ids or (match and match in text):
                chosen.append(letter)
        return chosen

    def submit(self, letter: DeadLetter) -> str:
        """Publish the entry again; returns what was done, one line."""
        payload = letter.payload
        if letter.fields.get("reason", "").startswith(UNDECODABLE_REASON):
            return f"skipped {letter.entry_id}: a broker message no worker could read"
        if not isinstance(payload, dict):
            return f"skipped {letter.entry_id}: payload is not a JSON object, cannot redrive"
        task_id = letter.task_id
        if task_id:
            self._state.apply(redrive(task_id))
            self._celery.backend.forget(task_id)
        headers = {"content-type": "application/json", "redrive_of": letter.entry_id}
        if letter.fields.get("traceparent"):
            headers["traceparent"] = letter.fields["traceparent"]
        event = {k: v for k, v in payload.items() if k not in ("event_id", "occurred_at")}
        if letter.fields.get("idempotency_key"):  # a task's, kept in its record
            event.setdefault("idempotency_key", letter.fields["idempotency_key"])
        pipe = self._redis.pipeline(transaction=True)
        pipe.xadd(
            self._s.stream_requested,
            {DATA_FIELD: encode_envelope(orjson.dumps(event), headers)},
        )
        pipe.xdel(letter.dlq, letter.entry_id)
        pipe.execute()
        return f"redriven {letter.entry_id} as task {task_id or '(no task id)'}"
