"""redis-py internals behind ``shared.adapters.redis`` (a real Redis)."""

import pytest
import redis

from shared.adapters.redis import DeferredReplies
from tests.contracts.conftest import broken

ADAPTER = "shared/adapters/redis.py"


def test_a_connection_made_like_the_pools_answers_in_order(
    redis_url: str, stack_env: dict[str, str], namespace: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    pool = client.connection_pool
    assert isinstance(pool.connection_kwargs, dict), broken(
        "redis", "ConnectionPool.connection_kwargs", ADAPTER
    )
    deferred = DeferredReplies(client)
    assert deferred._connection.health_check_interval == 0, broken(
        "redis", "a connection's health_check_interval", ADAPTER
    )
    try:
        deferred.send("XADD", f"{namespace}.s", "*", "n", "1")
        deferred.send("LPUSH", f"{namespace}.s", "x")  # WRONGTYPE, answered second
        assert "-" in deferred.read(), broken("redis", "send_command / read_response", ADAPTER)
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            deferred.read()
    finally:
        deferred.close()
        client.close()
