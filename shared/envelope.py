"""The wire format of every stream entry this system writes.

FastStream's JSON envelope in the ``__data__`` field::

    __data__ = {"data": "<the event as a JSON string>", "headers": {...}}

Any Redis client can read and write it, and FastStream subscribers parse it natively.
Producers that do not use FastStream may instead XADD the event's fields as plain
field/value pairs (nested values JSON-encoded); the dispatcher accepts both.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from shared.adapters.faststream import encode_envelope, is_binary_format, parse_envelope

__all__ = ["DATA_FIELD", "Decoded", "decode_entry", "encode_envelope", "event_envelope"]

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


class Decoded(NamedTuple):
    """A raw stream entry as the dispatcher reads it."""

    body: Any
    """The event: a dict when it was a JSON object or plain fields, else what was sent."""
    headers: dict[str, str]
    """Its headers (the trace context); only string values."""
    problem: str | None = None
    """Why the entry cannot be an event before its body is even looked at, or None."""


TRACE_HEADERS = ("traceparent", "tracestate", "baggage")
"""The headers read (to join the producer's trace): they must be strings."""


def decode_entry(fields: Mapping[bytes, bytes]) -> Decoded:
    """Decode a raw stream entry, as FastStream's stream parser reads it: the
    ``__data__`` envelope (JSON or FastStream binary), else plain field/value pairs
    (whose ``traceparent`` field, if any, is also their trace header).

    Never raises: an entry that is not UTF-8, or whose envelope is malformed, comes back
    with a ``problem`` (its own dead-letter reason) and a readable body (undecodable bytes
    as ``\\xNN``), so that one bad entry never holds up the entries read with it."""
    raw = fields.get(DATA_FIELD.encode())
    if raw is None:
        return _plain(fields)
    if is_binary_format(raw):  # FastStream's binary format
        data, headers = parse_envelope(raw)
        return Decoded(_json_or_text(data), _strings(headers))
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if (where := _undecodable(raw)) is not None:
            return Decoded(_text(raw), {}, f"{DATA_FIELD} is not UTF-8 ({where})")
        return Decoded(_text(raw), {}, f"payload is not a JSON object: {exc}")
    if not (isinstance(envelope, dict) and "data" in envelope):
        return Decoded(envelope, {})  # the event itself, without an envelope
    data, headers = envelope["data"], envelope.get("headers", {})
    if not isinstance(data, str):
        return Decoded(envelope, {}, f"envelope data is {_json_type(data)}, expected a string")
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Decoded(data, {}, f"payload is not a JSON object: {exc}")
    if not isinstance(headers, dict):
        return Decoded(body, {}, f"envelope headers is {_json_type(headers)}, expected an object")
    for name in TRACE_HEADERS:
        if name in headers and not isinstance(headers[name], str):
            problem = f"envelope header {name!r} is {_json_type(headers[name])}, expected a string"
            return Decoded(body, {}, problem)
    return Decoded(body, _strings(headers))


def _plain(fields: Mapping[bytes, bytes]) -> Decoded:
    for name, value in fields.items():
        if (where := _undecodable(name)) is not None:
            problem = f"field name '{_text(name)}' is not UTF-8 ({where})"
        elif (where := _undecodable(value)) is not None:
            problem = f"field '{_text(name)}' is not UTF-8 ({where})"
        else:
            continue
        return Decoded({_text(k): _text(v) for k, v in fields.items()}, {}, problem)
    body = {k.decode(): v.decode() for k, v in fields.items()}
    return Decoded(body, {"traceparent": body["traceparent"]} if "traceparent" in body else {})


def _undecodable(value: bytes) -> str | None:
    """Where ``value`` stops being UTF-8, or None."""
    try:
        value.decode()
    except UnicodeDecodeError as exc:
        return f"byte 0x{value[exc.start]:02x} at offset {exc.start}"
    return None


def _text(value: bytes) -> str:
    """``value`` as text, undecodable bytes as ``\\xNN``: readable in a dead letter."""
    return value.decode(errors="backslashreplace")


def _json_or_text(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _text(data)


def _strings(headers: Mapping[Any, Any]) -> dict[str, str]:
    """The headers whose name and value are strings (the only ones anything reads)."""
    return {k: v for k, v in headers.items() if isinstance(k, str) and isinstance(v, str)}


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), "a number")
