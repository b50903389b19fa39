"""Celery internals behind the worker's consumer (``services/worker/consumer.py``): its
loop calls ``on_ready`` once it consumes, ``on_close`` before a reconnect."""

import inspect

from celery.worker import loops
from celery.worker.consumer import Consumer

from tests.contracts.conftest import broken

ADAPTER = "services/worker/consumer.py"


def test_the_consumer_says_when_its_loop_consumes_and_when_it_closes() -> None:
    for method in ("on_ready", "on_close", "shutdown"):
        assert callable(getattr(Consumer, method, None)), broken(
            "celery", f"Consumer.{method}", ADAPTER
        )
    source = inspect.getsource(loops.asynloop)
    assert source.index("consumer.consume()") < source.index("obj.on_ready()"), broken(
        "celery", "asynloop calls on_ready after the task consumer consumes", ADAPTER
    )
    restart = inspect.getsource(Consumer.start)
    assert "self.on_close()" in restart, broken(
        "celery", "Consumer.start closes (on_close) before it restarts", ADAPTER
    )
