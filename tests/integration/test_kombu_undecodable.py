"""The project's kombu transport on a real Redis: a queue item that is no kombu message
reaches the consumer's public ``on_decode_error`` hook, body byte for byte, and the
consumer goes on; messages around it are delivered as usual."""

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue

from shared.adapters.kombu import REASON_HEADER, UNDECODABLE, Transport

GARBAGE: list[tuple[bytes, str]] = [
    (b"not json at all", "JSONDecodeError"),
    (b"\xff\xfe not UTF-8", "JSONDecodeError"),
    (b'{"a": 1}', "KeyError: 'properties'"),
    (b"[1, 2]", "TypeError"),
    (b'{"body": "abc", "properties": {"body_encoding": "base64", "delivery_tag": "t",'
     b' "delivery_info": {"exchange": "", "routing_key": "q"}}}', "Incorrect padding"),
    (b'{"body": "", "properties": {"delivery_tag": {"a": 1}}}', "delivery_tag is dict"),
    (b'{"body": "", "properties": {"delivery_tag": "t"}}', "delivery_info has no exchange"),
]  # fmt: skip


@pytest.fixture
def connection(redis_url: str, namespace: str) -> Iterator[Connection]:
    conn = Connection(
        redis_url, transport=Transport, transport_options={"global_keyprefix": f"{namespace}:"}
    )
    yield conn
    conn.release()


def test_queue_items_that_are_no_message_reach_on_decode_error_byte_for_byte(
    connection: Connection, namespace: str, redis_url: str
) -> None:
    queue = Queue(f"{namespace}.q", Exchange("", type="direct"), routing_key=f"{namespace}.q")
    raw = redis.Redis.from_url(redis_url)
    channel = connection.channel()
    producer = Producer(channel, serializer="json")
    producer.publish({"n": 1}, routing_key=queue.name, declare=[queue])
    for item, _ in GARBAGE:
        raw.lpush(f"{namespace}:{queue.name}", item)
    producer.publish({"n": 2}, routing_key=queue.name)

    received: list[Any] = []
    undecodable: list[Any] = []

    def on_decode_error(message: Any, exc: Exception) -> None:
        undecodable.append((message, exc))
        message.ack()

    consumer = Consumer(
        channel,
        [queue],
        accept=["json"],
        callbacks=[lambda body, message: (received.append(body), message.ack())],
        on_decode_error=on_decode_error,
    )
    with consumer:
        for _ in range(2 + len(GARBAGE)):
            connection.drain_events(timeout=10)

    assert received == [{"n": 1}, {"n": 2}]
    assert len(undecodable) == len(GARBAGE)
    for (message, _), (item, reason) in zip(undecodable, GARBAGE, strict=True):
        assert message.content_type == UNDECODABLE
        assert message.body == item, "the item's bytes, exactly"
        assert reason in message.headers[REASON_HEADER]
        assert message.delivery_info["routing_key"] == queue.name
    assert not raw.hlen(f"{namespace}:unacked"), "every message acknowledged"
    raw.close()


def test_an_undecodable_item_is_held_unacknowledged_until_the_consumer_acts(
    connection: Connection, namespace: str, redis_url: str
) -> None:
    """Between its delivery and the consumer's decision the stand-in message is kept in
    the unacknowledged index, as any message is: a worker dying then loses nothing."""
    queue = Queue(f"{namespace}.q", Exchange("", type="direct"), routing_key=f"{namespace}.q")
    raw = redis.Redis.from_url(redis_url)
    channel = connection.channel()
    queue(channel).declare()
    raw.lpush(f"{namespace}:{queue.name}", b"not json")
    held: list[bytes] = []

    def on_decode_error(message: Any, exc: Exception) -> None:
        [stored] = raw.hvals(f"{namespace}:unacked")
        held.append(stored)

    with Consumer(channel, [queue], accept=["json"], on_decode_error=on_decode_error):
        connection.drain_events(timeout=10)
    [stored] = held
    assert base64.b64encode(b"not json") in stored
    raw.close()
