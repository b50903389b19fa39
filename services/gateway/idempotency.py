"""``Idempotency-Key``: the same key (per caller) within the TTL is the same task.

The first request with a key claims it atomically (SET NX) with its task id and a hash
of its body; a repeat with the same body gets the same task id and enqueues nothing; a
repeat with another body is a conflict (409).

The record's name holds the caller and the key each percent-encoded on its own (``:``
and ``%`` included), so no pair of caller and key spells another pair's name: caller
``a`` with key ``b:c`` is not caller ``a:b`` with key ``c``. Plain ids stay readable.
"""

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import quote

import orjson
import redis.asyncio as aioredis

from shared import keys


class IdempotencyConflict(Exception):
    """The key was used with another request body."""


@dataclass(frozen=True, slots=True)
class Claim:
    task_id: str
    new: bool
    claimed_at: float


def record_name(prefix: str, caller: str, key: str) -> str:
    """The Redis key of ``caller``'s record of ``key``."""
    return keys.idempotency(prefix, quote(caller, safe=""), quote(key, safe=""))


def body_hash(route: str, body: bytes) -> str:
    return hashlib.sha256(route.encode() + b"\0" + body).hexdigest()


class IdempotencyKeys:
    def __init__(self, client: aioredis.Redis, prefix: str, ttl: int) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl

    async def existing(self, caller: str, key: str, digest: str) -> Claim | None:
        raw = await self._redis.get(record_name(self._prefix, caller, key))
        if raw is None:
            return None
        stored = orjson.loads(raw)
        if stored["body_hash"] != digest:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was already used with a different request body"
            )
        return Claim(stored["task_id"], False, float(stored["at"]))

    async def claim(self, caller: str, key: str, digest: str, task_id: str) -> Claim:
        """Claim ``key`` for ``task_id``; when another request won the race, its claim."""
        now = time.time()
        value = orjson.dumps({"task_id": task_id, "body_hash": digest, "at": now})
        name = record_name(self._prefix, caller, key)
        if await self._redis.set(name, value, nx=True, ex=self._ttl):
            return Claim(task_id, True, now)
        found = await self.existing(caller, key, digest)
        if found is None:  # expired in between: try once more
            return await self.claim(caller, key, digest, task_id)
        return found

    async def release(self, caller: str, key: str) -> None:
        """Forget a claim whose request could not be accepted (so a retry can succeed)."""
        await self._redis.delete(record_name(self._prefix, caller, key))
