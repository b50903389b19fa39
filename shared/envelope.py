"""The wire format of every stream entry this system writes.

FastStream's JSON envelope in the ``__data__`` field::

    __data__ = {"data": "<the event as a JSON string>", "headers": {...}}

Any Redis client can read and write it, and FastStream subscribers parse it natively.
Producers that do not use FastStream may instead XADD the event's fields as plain
field/value pairs (nested values JSON-encoded); the dispatcher accepts both.
"""

from collections.abc import Mapping
from typing import Any

import orjson

from shared.adapters.faststream import encode_envelope, parse_envelope

__all__ = ["DATA_FIELD", "decode_entry", "encode_envelope", "event_envelope"]

DATA_FIELD = "__data__"


def event_envelope(event: Any, headers: Mapping[str, str]) -> bytes:
    """The envelope of an outcome event (a ``contracts.events`` model)."""
    return encode_envelope(
        event.model_dump_json(),
        {
            "content-type": "application/json",
            "correlation_id": event.task_id,
            "message_id": event.event_id,
            **headers,
        },
    )


def decode_entry(fields: Mapping[bytes, bytes]) -> tuple[Any, dict[str, Any]]:
    """(body, headers) of a raw stream entry, as FastStream's stream parser reads it:
    the ``__data__`` envelope (JSON or FastStream binary), else plain field/value pairs
    (whose ``traceparent`` field, if any, is also their trace header)."""
    raw = fields.get(DATA_FIELD.encode())
    if raw is None:
        try:
            body = {k.decode(): v.decode() for k, v in fields.items()}
        except UnicodeDecodeError:
            # not UTF-8: its repr (readable, escaped) goes on as a payload that is no JSON
            # object, so the dispatcher dead-letters it instead of failing its whole batch
            return repr(dict(fields)), {}
        return body, ({"traceparent": body["traceparent"]} if "traceparent" in body else {})
    data, headers = parse_envelope(raw)
    try:
        return orjson.loads(data), headers
    except orjson.JSONDecodeError:
        return data, headers
