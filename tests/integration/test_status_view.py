"""The status view's transition script against a real Redis."""

from collections.abc import Iterator

import pytest
import redis

from contracts.events import SummarizationRequested
from contracts.status import TaskStatus
from shared.redis_client import async_redis, sync_redis
from shared.status_view import Transition, TransitionWriter, read_record, record_pending


@pytest.fixture
def client(redis_url: str, stack_env: dict[str, str]) -> Iterator[redis.Redis]:
    c = sync_redis(redis_url, decode=False)
    yield c
    c.close()


@pytest.fixture
def writer(client: redis.Redis, namespace: str) -> TransitionWriter:
    return TransitionWriter(client, f"{namespace}:task:", 3600, 1000)


def step(status: TaskStatus, ts: float, stream: str = "", **fields: str) -> Transition:
    envelope = b'{"data": "{}", "headers": {}}' if stream else b""
    return Transition("t1", status, ts, fields, stream, envelope, may_create=True)


def test_a_late_started_never_overwrites_success(
    writer: TransitionWriter, client: redis.Redis, namespace: str
) -> None:
    out = f"{namespace}.completed"
    assert writer.apply(step(TaskStatus.PENDING, 1.0)) == 1
    assert writer.apply(step(TaskStatus.SUCCESS, 3.0, out)) == 2
    assert writer.apply(step(TaskStatus.STARTED, 2.0)) == 0
    assert writer.apply(step(TaskStatus.STARTED, 9.0)) == 0
    assert writer.read("t1")["status"] == "SUCCESS"


def test_out_of_order_non_terminal_events_keep_the_newest(writer: TransitionWriter) -> None:
    assert writer.apply(step(TaskStatus.RETRY, 5.0)) == 1
    assert writer.apply(step(TaskStatus.STARTED, 4.0)) == 0
    assert writer.read("t1")["status"] == "RETRY"
    assert writer.apply(step(TaskStatus.STARTED, 6.0)) == 1
    assert writer.read("t1")["status"] == "STARTED"


def test_duplicate_terminal_events_publish_exactly_once(
    writer: TransitionWriter, client: redis.Redis, namespace: str
) -> None:
    out = f"{namespace}.failed"
    results = [writer.apply(step(TaskStatus.FAILURE, 2.0 + i, out)) for i in range(5)]
    assert results == [2, 0, 0, 0, 0]
    assert client.xlen(out) == 1


def test_events_for_unknown_records_do_not_create_them(
    writer: TransitionWriter, client: redis.Redis, namespace: str
) -> None:
    foreign = Transition("other", TaskStatus.STARTED, 1.0, {}, may_create=False)
    assert writer.apply(foreign) == 0
    assert not client.exists(f"{namespace}:task:other")


async def test_pending_record_keeps_fields_already_there(
    redis_url: str, stack_env: dict[str, str], namespace: str, writer: TransitionWriter
) -> None:
    client = async_redis(redis_url)
    prefix = f"{namespace}:task:"
    event = SummarizationRequested(task_id="t1", kind="session", candidate_id="c1", session_id="s1")
    await record_pending(client, prefix, 60, event)
    writer.apply(step(TaskStatus.STARTED, 9e9))
    await record_pending(client, prefix, 60, event)  # a redelivered event: no regression
    record = await read_record(client, prefix, "t1")
    assert record is not None
    assert record["status"] == "STARTED"
    assert record["session_id"] == "s1"
    assert 0 < await client.ttl(f"{prefix}t1") <= 3600
    await client.aclose()
