"""redis-py internals: a connection whose replies are read later.

A task's start is appended to the lifecycle stream without the task waiting a round
trip for Redis' answer (``services.worker.lifecycle``). redis-py's public clients send
a command and read its reply together; ``DeferredReplies`` sends on a connection of its
own (made like its client's pool's, ``connection_kwargs`` and ``connection_class``,
without health checks: a check would read a pending reply as its PING's) and reads each
reply later, in order (``send_command``, ``read_response``).
"""

from typing import Any

import redis


class DeferredReplies:
    def __init__(self, client: redis.Redis) -> None:
        pool = client.connection_pool
        kwargs = {**pool.connection_kwargs, "health_check_interval": 0}
        self._connection: Any = pool.connection_class(**kwargs)

    def send(self, *command: str) -> None:
        """Send a command; its reply waits for ``read``."""
        self._connection.send_command(*command)

    def read(self) -> Any:
        """The reply to the oldest command whose reply is unread (raises its error)."""
        return self._connection.read_response()

    def close(self) -> None:
        self._connection.disconnect()
