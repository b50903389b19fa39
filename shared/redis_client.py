"""Redis clients, made in a service's start-up and passed in (never at import time)."""

import redis
import redis.asyncio as aioredis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

_RETRY_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def async_redis(url: str, decode: bool = True, max_connections: int = 64) -> aioredis.Redis:
    """A client whose pool makes a caller wait (up to 5 s) for a free connection when
    ``max_connections`` are in use, instead of failing the request at once."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        decode_responses=decode,
        health_check_interval=15,
        socket_keepalive=True,
        socket_connect_timeout=5,
        retry=aioredis.retry.Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        retry_on_error=list(_RETRY_ERRORS),
    )
    return aioredis.Redis.from_pool(pool)


def sync_redis(url: str, decode: bool = True, socket_timeout: float | None = None) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=decode,
        socket_timeout=socket_timeout,
        health_check_interval=15,
        socket_keepalive=True,
        socket_connect_timeout=5,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        retry_on_error=list(_RETRY_ERRORS),
    )
