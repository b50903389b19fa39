"""kombu internals behind ``shared.adapters.kombu`` (a real Redis)."""

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection
from kombu.asynchronous.timer import Timer
from kombu.transport import redis as kombu_redis

from shared.adapters.kombu import purge_cancelled
from tests.contracts.conftest import broken

ADAPTER = "shared/adapters/kombu.py"


def test_cancelled_timers_stay_in_a_heap_list_until_swept() -> None:
    timer = Timer()
    kept = timer.call_after(600, lambda: None)
    cancelled = timer.call_after(600, lambda: None)
    timer.cancel(cancelled)
    queue: Any = timer._queue
    assert isinstance(queue, list), broken("kombu", "Timer._queue is no longer a list", ADAPTER)
    assert all(hasattr(item, "entry") for item in queue), broken(
        "kombu", "Timer._queue's items have no .entry", ADAPTER
    )
    assert [item.entry.canceled for item in queue].count(True) == 1, broken(
        "kombu", "a cancelled entry is no longer marked .canceled in the queue", ADAPTER
    )
    assert purge_cancelled(timer) == 1
    assert [item.entry for item in timer._queue] == [kept]


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("restore_unacked", ["client"]),
        ("ack", ["delivery_tag"]),
        ("reject", ["delivery_tag", "requeue"]),
        ("restore_visible", ["start", "num", "interval"]),
    ],
)
def test_the_qos_methods_the_transport_overrides(method: str, parameters: list[str]) -> None:
    signature = inspect.signature(getattr(kombu_redis.QoS, method))
    assert list(signature.parameters)[1:] == parameters, broken(
        "kombu", f"QoS.{method}{signature}", ADAPTER
    )


@pytest.fixture
def channel(redis_url: str, stack_env: dict[str, str]) -> Iterator[Any]:
    with Connection(redis_url, transport="shared.adapters.kombu:Transport") as conn:
        yield conn.default_channel


def test_a_channel_keeps_its_deliveries_and_makes_its_clients(channel: Any) -> None:
    assert isinstance(channel.qos._delivered, dict), broken(
        "kombu", "QoS._delivered is no longer a dict", ADAPTER
    )
    assert channel._create_client() is channel._create_client(), broken(
        "kombu", "Channel._create_client(asynchronous=False)", ADAPTER
    )
    assert channel._create_client(asynchronous=True) is not None, broken(
        "kombu", "Channel._create_client(asynchronous=True)", ADAPTER
    )
    assert channel._create_client().ping()
