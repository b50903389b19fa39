"""Per-key token buckets in Redis: one script call (one round trip) per request."""

from importlib import resources

import redis.asyncio as aioredis

from shared import keys

BUCKET_LUA = resources.files("shared").joinpath("lua/token_bucket.lua").read_text()


class TokenBuckets:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._prefix = prefix
        self._script = client.register_script(BUCKET_LUA)

    async def take(self, bucket: str, rate: float, burst: int) -> float:
        """0 when a token was taken, else the seconds until the next one; a rate of 0 is
        no limit (and no round trip)."""
        if rate <= 0:
            return 0.0
        waited = await self._script(
            keys=[keys.rate_bucket(self._prefix, bucket)], args=[rate, burst]
        )
        return int(waited) / 1000
