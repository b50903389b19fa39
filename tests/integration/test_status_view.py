"""The status view's transition script against a real Redis."""

from collections.abc import Iterator

import pytest
import redis

from contracts.events import SummarizationRequested
from contracts.status import TaskStatus
from shared.redis_client import async_redis, sync_redis
from shared.status_view import PendingRecords, Transition, TransitionWriter, read_record


@pytest.fixture
def client(redis_url: str, stack_env: dict[str, str]) -> Iterator[redis.Redis]:
    c = sync_redis(redis_url, decode=False)
    yield c
    c.close()


@pytest.fixture
def writer(client: redis.Redis, namespace: str) -> TransitionWriter:
    return TransitionWriter(client, f"{namespace}:", 3600, 1000, f"{namespace}.tasks.dlq")


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
    prefix = f"{namespace}:"
    event = SummarizationRequested(task_id="t1", kind="session", candidate_id="c1", session_id="s1")
    pending = PendingRecords(client, prefix, 60)
    assert await pending.record(event)
    writer.apply(step(TaskStatus.STARTED, 9e9))
    assert await pending.record(event) == 0  # a redelivered event: no regression
    await client.set(f"{prefix}dispatched:t1", "1-0")
    assert await pending.record(event, unless_sent=True) == -1
    record = await read_record(client, prefix, "t1")
    assert record is not None
    assert record["status"] == "STARTED"
    assert record["session_id"] == "s1"
    assert 0 < await client.ttl(f"{prefix}task:t1") <= 3600
    assert await client.zscore(f"{prefix}active", "t1") is not None
    await client.aclose()


def test_terminal_failure_writes_one_dead_letter_and_leaves_the_active_index(
    writer: TransitionWriter, client: redis.Redis, namespace: str
) -> None:
    client.zadd(f"{namespace}:active", {"t1": 1.0})
    dead = {"reason": "retries exhausted: OperationalError: db down", "task_id": "t1"}
    failure = Transition(
        "t1", TaskStatus.FAILURE, 2.0, {}, f"{namespace}.failed", b"{}", True, dead
    )
    assert writer.apply(failure) == 2
    assert writer.apply(failure) == 0
    [(_, entry)] = client.xrange(f"{namespace}.tasks.dlq")
    assert entry[b"reason"] == dead["reason"].encode()
    assert client.zscore(f"{namespace}:active", "t1") is None


def test_error_chain_keeps_one_entry_per_attempt(writer: TransitionWriter) -> None:
    writer.record_error("t1", 2, {"error": "second"})
    writer.record_error("t1", 1, {"error": "first"})
    writer.record_error("t1", 2, {"error": "second, reported twice"})
    assert [e["error"] for e in writer.error_chain("t1")] == ["first", "second"]


def test_trim_keeps_what_a_group_still_owes(client: redis.Redis, namespace: str) -> None:
    from shared.streams import TRIM_LUA

    stream = f"{namespace}.trim"
    ids = [client.xadd(stream, {"n": str(i)}, id=f"{1000 + i}-0") for i in range(10)]
    client.xgroup_create(stream, "g", id="0")
    client.xreadgroup("g", "c", {stream: ">"}, count=6)  # reads 0..5
    client.xack(stream, "g", *ids[:3])  # 3..5 still pending, 6..9 unread
    trim = client.register_script(TRIM_LUA)
    assert trim(keys=[stream], args=["999999-0"]) == 3, "only acknowledged entries go"
    assert client.xrange(stream)[0][0] == ids[3]
    assert trim(keys=[stream], args=["1001-0"]) == 0, "younger than the age cut-off"
