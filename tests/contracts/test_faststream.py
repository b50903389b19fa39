"""FastStream internals behind ``shared.adapters.faststream`` (a real Redis)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub

from shared.adapters.faststream import (
    JSONMessageFormat,
    batch_entries,
    ensure_running,
    parse_envelope,
    unparsed_batch,
)
from tests.contracts.conftest import broken

ADAPTER = "shared/adapters/faststream.py"


@pytest.fixture
async def broker(redis_url: str, stack_env: dict[str, str]) -> AsyncIterator[RedisBroker]:
    """Stopped before the test's keys are deleted (``stack_env``)."""
    broker = RedisBroker(redis_url, message_format=JSONMessageFormat, apply_types=False)
    yield broker
    await broker.stop()


@pytest.fixture
async def client(redis_url: str, stack_env: dict[str, str]) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(redis_url)
    yield c
    await c.aclose()


async def test_entries_are_published_in_the_readable_json_envelope(
    broker: RedisBroker, client: aioredis.Redis, namespace: str
) -> None:
    stream = f"{namespace}.envelope"
    await broker.connect()
    await broker.publish({"task_id": "t1"}, stream=stream, headers={"traceparent": "00-a-b-01"})
    [(_, fields)] = await client.xrange(stream)
    assert set(fields) == {b"__data__"}, broken("faststream", "the entry's fields", ADAPTER)
    envelope = orjson.loads(fields[b"__data__"])
    assert orjson.loads(envelope["data"]) == {"task_id": "t1"}, broken(
        "faststream", "BinaryMessageFormatV1.build's data", ADAPTER
    )
    assert envelope["headers"]["traceparent"] == "00-a-b-01", broken(
        "faststream", "BinaryMessageFormatV1.build's headers", ADAPTER
    )
    data, headers = parse_envelope(fields[b"__data__"])
    assert (orjson.loads(data), headers["traceparent"]) == ({"task_id": "t1"}, "00-a-b-01"), broken(
        "faststream", "BinaryMessageFormatV1.parse of the JSON envelope", ADAPTER
    )


async def test_a_batch_subscriber_sees_the_raw_entries_and_restarts(
    broker: RedisBroker, client: aioredis.Redis, namespace: str
) -> None:
    stream, group = f"{namespace}.batch", f"{namespace}-group"
    await client.xgroup_create(stream, group, id="0", mkstream=True)
    ids = [await client.xadd(stream, {"n": str(n)}) for n in range(3)]
    ids.append(await client.xadd(stream, {"__data__": b"\xff not utf-8"}))
    seen: list[list[tuple[bytes, dict[bytes, bytes]]]] = []
    got = asyncio.Event()

    async def decoder(msg: Any, _: Any) -> Any:
        return batch_entries(msg)

    subscriber = broker.subscriber(
        stream=StreamSub(stream, group=group, consumer="c", batch=True, max_records=10),
        parser=unparsed_batch,
        decoder=decoder,
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def handle(entries: Any) -> None:
        seen.append(entries)
        got.set()

    await broker.start()
    await asyncio.wait_for(got.wait(), 10)
    assert [entry_id for entry_id, _ in seen[0]] == ids, broken(
        "faststream", "a batch's raw_message (message_ids, data)", ADAPTER
    )
    assert seen[0][1][1] == {b"n": b"1"}
    assert seen[0][3][1] == {b"__data__": b"\xff not utf-8"}, broken(
        "faststream", "the batch parser's message (data, message_ids)", ADAPTER
    )
    assert not await ensure_running(subscriber), broken(
        "faststream", "subscriber.running of a running subscriber", ADAPTER
    )
    await subscriber.stop()
    assert await ensure_running(subscriber), broken("faststream", "subscriber.running", ADAPTER)
    assert subscriber.running, broken("faststream", "subscriber.start()", ADAPTER)
