"""Dead-letter entries: what failed, why, and everything needed to redrive it.

Both dead-letter streams (``summarization.requested.dlq`` for events the dispatcher
could not accept, ``summarization.tasks.dlq`` for tasks that failed for good) hold plain
field/value entries so that ``redis-cli XRANGE`` is readable:

    reason       one line: why the entry is here
    errors       JSON list of details (validation errors; the chain of task failures, one
                 object per attempt with its error's type and message as fields)
    payload      the original event or task arguments, verbatim (JSON when it was JSON)
    source       the stream (or Celery queue) it came from; source_id: its entry id
    task_id      when known; trace_id / traceparent when known
    failed_at    ISO-8601 UTC; service: who wrote it; deliveries / attempts when known
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

UNDECODABLE_REASON = "undecodable: "
"""Reason prefix of a broker message no worker could read: its payload is the message's
raw bytes, not a request, so it is kept for a person to read and never redriven."""


def dead_letter(
    *,
    reason: str,
    payload: Any,
    source: str,
    service: str,
    source_id: str = "",
    errors: list[Any] | None = None,
    extra: Mapping[str, str | int] | None = None,
) -> dict[str, str]:
    """The fields of one dead-letter entry."""
    if isinstance(payload, bytes):
        try:
            payload = payload.decode()
        except UnicodeDecodeError:
            payload = payload.hex()
    fields = {
        "reason": reason,
        "errors": orjson.dumps(errors or [], default=str).decode(),
        "payload": payload if isinstance(payload, str) else orjson.dumps(payload).decode(),
        "source": source,
        "source_id": source_id,
        "failed_at": datetime.now(UTC).isoformat(),
        "service": service,
    }
    for key, value in (extra or {}).items():
        fields[key] = str(value)
    return fields
