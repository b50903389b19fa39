"""FastStream internals: the JSON envelope of stream entries, a batch's raw entries, a
subscriber's restart.

* ``JSONMessageFormat``: FastStream 0.7 writes its own entries in a binary format only
  an other FastStream reads; the contract (README) promises a JSON envelope in the
  ``__data__`` field that any Redis client reads and writes. The class reuses FastStream's
  message building (``BinaryMessageFormatV1.build``, ``DefaultCodec``) and parsing
  (``parse`` reads both the JSON envelope and FastStream's binary format).
* ``unparsed_batch`` and ``batch_entries``: a batch subscriber's message as FastStream
  reads it (``message_ids``, ``data``), its entries kept undecoded (FastStream's own
  parser decodes the whole batch at once, and one entry it cannot read, not UTF-8 or
  headers that are not an object, failed the batch before the handler saw it, holding
  up every entry read with it); the dispatcher decodes each itself, as its reclaimer
  does (FastStream's batch parser does not lift a plain entry's ``traceparent`` field).
* ``ensure_running``: FastStream stops a stream subscriber whose consumer group vanished
  (Redis lost its data) and has no public way to ask whether it runs.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from faststream._internal.basic_types import SendableMessage
from faststream._internal.parser import DefaultCodec
from faststream.redis.parser import BinaryMessageFormatV1


def encode_envelope(payload: bytes | str, headers: Mapping[str, str]) -> bytes:
    """The JSON envelope: ``{"data": "<the event as a JSON string>", "headers": {...}}``."""
    data = payload.decode() if isinstance(payload, bytes) else payload
    return orjson.dumps({"data": data, "headers": dict(headers)})


class JSONMessageFormat(BinaryMessageFormatV1):
    """Publishes the readable JSON envelope; parses it and FastStream's binary format."""

    @classmethod
    async def encode(
        cls,
        *,
        message: Sequence[SendableMessage] | SendableMessage,
        reply_to: str | None,
        headers: dict[str, Any] | None,
        correlation_id: str,
        serializer: Any = None,
        codec: Any = None,
    ) -> bytes:
        built = await cls.build(
            message=message,
            reply_to=reply_to,
            headers=headers,
            correlation_id=correlation_id,
            serializer=serializer,
            codec=codec or DefaultCodec(),
        )
        return encode_envelope(built.data, {k: str(v) for k, v in built.headers.items()})


def is_binary_format(raw: bytes) -> bool:
    """Whether a ``__data__`` field is in FastStream's binary format."""
    return raw.startswith(JSONMessageFormat.IDENTITY_HEADER)


def parse_envelope(raw: bytes) -> tuple[bytes, dict[str, Any]]:
    """(data, headers) of a ``__data__`` field: the JSON envelope or the binary format."""
    data, headers = JSONMessageFormat.parse(raw)
    return data, headers


ENTRIES = "entries"
"""Where ``unparsed_batch`` keeps the batch's entries (ids stay in ``message_ids``)."""


async def unparsed_batch(msg: Any, original: Any) -> Any:
    """A batch subscriber's ``parser``: FastStream's message for the batch, its entries
    left undecoded (``batch_entries`` reads them)."""
    return await original({**msg, "data": [], ENTRIES: msg["data"]})


def batch_entries(message: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The (entry id, fields) pairs a batch stream subscriber read, in order (its
    ``parser`` is ``unparsed_batch``)."""
    raw = message.raw_message
    return list(zip(raw["message_ids"], raw[ENTRIES], strict=True))


async def ensure_running(subscriber: Any) -> bool:
    """Start ``subscriber`` again if FastStream stopped it; True if it had stopped."""
    if subscriber.running:
        return False
    await subscriber.start()
    return True
