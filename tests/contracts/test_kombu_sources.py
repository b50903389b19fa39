"""The kombu internals ``shared.adapters.kombu`` depends on, pinned to the kombu they were
read in. A kombu upgrade that changes one fails here, naming what to compare again."""

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import kombu
import pytest
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

READ_IN = "5.7.0"

PINNED: list[tuple[Callable[..., Any], str, str]] = [
    (kombu_redis.Channel._brpop_read, "c42518699709f2df",
     "shared.adapters.kombu.Channel._brpop_read is a copy of it (but for _deliver_item): "
     "copy the new version and keep the delivery through _deliver_item"),
    (kombu_redis.Channel._deliver_fanout_message, "06662335a70a5b62",
     "Channel._deliver_fanout_message wraps it: a broadcast that is no message must "
     "still end in Empty, not in the consumer's loop"),
    (virtual.Channel.basic_consume, "0fec962694938b61",
     "its callback must still build self.Message before QoS.append and the consumer's "
     "callback: NotAMessage is taken to mean no consumer saw the item"),
    (kombu_redis.QoS.append, "35c655f6ecc62fe6",
     "shared.adapters.kombu.Message checks what it reads (delivery_tag, "
     "delivery_info['exchange'] and ['routing_key'])"),
]  # fmt: skip


@pytest.mark.parametrize(("function", "digest", "why"), PINNED)
def test_the_kombu_internals_the_transport_relies_on_are_unchanged(
    function: Callable[..., Any], digest: str, why: str
) -> None:
    source = inspect.getsource(function)
    found = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert found == digest, (
        f"kombu {kombu.__version__} changed {function.__qualname__} (read in kombu "
        f"{READ_IN}). {why}; then update the digest here to {found}."
    )
