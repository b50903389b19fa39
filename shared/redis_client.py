"""Redis clients, made in a service's start-up and passed in (never at import time).

Every client of a ``rediss://`` URL gets its TLS options from ``tls`` (the settings'
``redis_tls``); without them it verifies the server against the system's CAs.
"""

from typing import Any

import redis
import redis.asyncio as aioredis
from faststream.security import BaseSecurity
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from shared.redis_tls import SYSTEM_CAS, RedisTls, uses_tls

_RETRY_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def async_redis(
    url: str, tls: RedisTls = SYSTEM_CAS, decode: bool = True, max_connections: int = 64
) -> aioredis.Redis:
    """A client whose pool makes a caller wait (up to 5 s) for a free connection when
    ``max_connections`` are in use, instead of failing the request at once."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        **tls.client_options(url),
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


def sync_redis(
    url: str,
    tls: RedisTls = SYSTEM_CAS,
    decode: bool = True,
    socket_timeout: float | None = None,
    **options: Any,
) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        **tls.client_options(url),
        **options,
        decode_responses=decode,
        socket_timeout=socket_timeout,
        health_check_interval=15,
        socket_keepalive=True,
        socket_connect_timeout=5,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        retry_on_error=list(_RETRY_ERRORS),
    )


def broker_security(url: str, tls: RedisTls) -> BaseSecurity | None:
    """FastStream's TLS for a ``rediss://`` broker URL (``security=`` of RedisBroker)."""
    return BaseSecurity(ssl_context=tls.context()) if uses_tls(url) else None
