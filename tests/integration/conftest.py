"""Fixtures the integration tests of the status record share (a module may define its own
``settings`` for its service's settings class)."""

from collections.abc import Iterator

import pytest
import redis

from shared.redis_client import sync_redis
from shared.settings import CommonSettings


@pytest.fixture
def settings(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> CommonSettings:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return CommonSettings()


@pytest.fixture
def client(settings: CommonSettings) -> Iterator[redis.Redis]:
    """Raw (bytes) replies, as the state writer's client has them."""
    c = sync_redis(settings.redis_url, decode=False)
    yield c
    c.close()
