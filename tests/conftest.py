"""Shared fixtures: a real Redis (the machine's, or the bundled server), isolated names."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from shared.redis_server import BundledRedis, free_port, is_reachable
from shared.settings import redis_db_index, redis_db_url

DEFAULT_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis when it answers, else a bundled server for this test run."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_URL
    if is_reachable(url):
        yield url
        return
    server = BundledRedis(port=free_port(), data_dir=tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def namespace() -> str:
    """A unique prefix for every key, stream and queue a test creates."""
    return f"t{uuid.uuid4().hex[:10]}"


def isolated_env(redis_url: str, namespace: str, tmp: Path) -> dict[str, str]:
    """Environment for services that share nothing with other tests or users."""
    return {
        "ENVIRONMENT": "test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp / 'store.db'}",
        "CELERY_KEY_PREFIX": f"{namespace}:",
        "KEY_PREFIX": f"{namespace}:",
        "STREAM_REQUESTED": f"{namespace}.requested",
        "STREAM_REQUESTED_DLQ": f"{namespace}.requested.dlq",
        "STREAM_COMPLETED": f"{namespace}.completed",
        "STREAM_FAILED": f"{namespace}.failed",
        "STREAM_TASKS_DLQ": f"{namespace}.tasks.dlq",
        "STREAM_LIFECYCLE": f"{namespace}.lifecycle",
        "STREAM_STATUS_CHANGES": f"{namespace}.status-changes",
        "PROJECTOR_GROUP": f"{namespace}-projector",
        "QUEUE_SESSION": f"{namespace}.long_running",
        "QUEUE_PROFILE": f"{namespace}.quick",
        "CONSUMER_GROUP": f"{namespace}-dispatcher",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "WORKER_SOFT_SHUTDOWN_TIMEOUT": "0",  # a test's stop cancels and re-queues at once
    }


@pytest.fixture
def stack_env(redis_url: str, namespace: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An isolated environment for one test; its keys are deleted afterwards."""
    yield isolated_env(redis_url, namespace, tmp_path)
    cleanup(redis_url, namespace)


def cleanup(url: str, namespace: str) -> None:
    """Delete what a test created (its namespace only) in every database it may use."""
    index = redis_db_index(url)
    for db in (index, index + 1):
        client = redis.Redis.from_url(redis_db_url(url, db))
        try:
            for pattern in (f"{namespace}*", f"*{namespace}*"):
                keys = list(client.scan_iter(match=pattern, count=1000))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_database() -> Iterator[str]:
    """A throw-away PostgreSQL database; skips the test when no server answers."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"summ_test_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip("PostgreSQL is not reachable")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and, when reachable, on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()
