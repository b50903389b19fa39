"""Turn a stream entry's body into a ``SummarizationRequested`` or say why not."""

from typing import Any

import orjson
from pydantic import ValidationError

from contracts.events import SCHEMA_VERSION, SummarizationRequested

NESTED_FIELDS = ("transcript",)


class InvalidEvent(Exception):
    """The entry cannot be dispatched; ``reason`` is one line for the dead-letter entry."""

    def __init__(self, reason: str, errors: list[Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []


def parse_request(body: Any, size: int, max_bytes: int) -> SummarizationRequested:
    """Validate one entry (FastStream envelope already unwrapped, or plain fields)."""
    if size > max_bytes:
        raise InvalidEvent(f"event too large: {size} bytes, limit {max_bytes}")
    if isinstance(body, bytes | str):
        raise InvalidEvent("payload is not a JSON object")
    if not isinstance(body, dict):
        raise InvalidEvent(f"payload is a JSON {type(body).__name__}, expected an object")
    data = {k: v for k, v in body.items() if k != "traceparent"}
    for name in NESTED_FIELDS:
        if isinstance(data.get(name), str):
            try:
                data[name] = orjson.loads(data[name])
            except orjson.JSONDecodeError:
                raise InvalidEvent(f"{name}: not valid JSON") from None
    version = str(data.get("schema_version", SCHEMA_VERSION))
    if version != str(SCHEMA_VERSION):
        raise InvalidEvent(f"unsupported schema_version {version!r}; this dispatcher reads 1")
    data["schema_version"] = SCHEMA_VERSION  # plain field entries carry it as a string
    try:
        return SummarizationRequested.model_validate(data, strict=False)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(event)", "error": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{e['field']}: {e['error']}" for e in errors[:5])
        raise InvalidEvent(f"invalid summarization.requested: {summary}", errors) from None
