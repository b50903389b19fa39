"""Broker messages the worker cannot read are moved aside: never fatal, never dropped.

A queue item that is no kombu message at all reaches the worker as a message of content
type ``UNDECODABLE`` whose body is the item's bytes (``shared.adapters.kombu``). It, and any
message whose body cannot be decoded (a content type other than JSON, a body that is no
JSON) or that is no task message, meets one of Celery's consumer hooks
(``on_decode_error``, ``on_unknown_message``, ``on_invalid_task``); the worker's consumer
appends it here to the tasks dead-letter stream, with its raw bytes and the reason, and
then acknowledges it, as Celery does, so the worker goes on consuming.
"""

import base64
from typing import Any

import orjson
import redis
from celery import Celery

from shared.adapters.kombu import REASON_HEADER, UNDECODABLE
from shared.dead_letters import UNDECODABLE_REASON, dead_letter
from shared.logging import get_logger
from shared.redis_client import sync_redis
from shared.settings import CommonSettings

log = get_logger(__name__)

CONF_KEY = "worker_broker_dead_letters"
"""The Celery setting holding the worker's ``BrokerDeadLetters``."""


class BrokerDeadLetters:
    def __init__(self, settings: CommonSettings) -> None:
        self._url = settings.redis_url
        self._tls = settings.redis_tls
        self._stream = settings.stream_tasks_dlq
        self._maxlen = settings.stream_maxlen
        self._client: redis.Redis | None = None

    def set_aside(self, message: Any, exc: BaseException | None) -> None:
        """Dead-letter ``message`` (a kombu message) with its raw bytes; never raises.

        When Redis refuses the entry, the message is logged whole (base64) instead: it
        is acknowledged either way, as a message that will never decode must not hold a
        place in the worker's prefetch or come back after the visibility timeout."""
        raw = _raw_bytes(message)
        fields = self.fields(message, raw, exc)
        try:
            if self._client is None:
                self._client = sync_redis(self._url, self._tls)
            self._client.xadd(
                self._stream,
                fields,  # type: ignore[arg-type]
                maxlen=self._maxlen,
                approximate=True,
            )
        except redis.RedisError as error:
            log.error(
                "broker_message_not_dead_lettered",
                reason=fields["reason"],
                queue=fields["source"],
                error=str(error),
                raw_base64=base64.b64encode(raw).decode(),
            )
            return
        log.warning("broker_message_dead_lettered", reason=fields["reason"], queue=fields["source"])

    def fields(self, message: Any, raw: bytes, exc: BaseException | None) -> dict[str, str]:
        headers = message.headers if isinstance(message.headers, dict) else {}
        if message.content_type == UNDECODABLE:
            why, extra = f"no broker message: {headers.get(REASON_HEADER, '')}", {}
        else:
            why = f"{type(exc).__name__}: {exc}" if exc else "no task message (no task name)"
            extra = {
                "content_type": str(message.content_type or ""),
                "headers": orjson.dumps(headers, default=str).decode(),
            }
            if isinstance(headers.get("id"), str):
                extra["task_id"] = headers["id"]
        try:
            raw.decode()
            extra["payload_encoding"] = "utf-8"
        except UnicodeDecodeError:
            extra["payload_encoding"] = "hex"
        delivery = message.delivery_info if isinstance(message.delivery_info, dict) else {}
        return dead_letter(
            reason=f"{UNDECODABLE_REASON}{why}",
            payload=raw,  # text when UTF-8, else hex (payload_encoding says which)
            source=str(delivery.get("routing_key") or "celery"),
            service="worker",
            extra=extra,
        )


def set_aside(app: Celery, message: Any, exc: BaseException | None) -> bool:
    """Dead-letter ``message`` through the app's ``BrokerDeadLetters``; False without one
    (an app other than the worker's)."""
    dead_letters: BrokerDeadLetters | None = app.conf.get(CONF_KEY)
    if dead_letters is None:
        return False
    dead_letters.set_aside(message, exc)
    return True


def _raw_bytes(message: Any) -> bytes:
    body = message.body
    if isinstance(body, bytes):
        return body
    return str(body).encode() if body is not None else b""
