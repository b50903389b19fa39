"""Celery internals the worker relies on: its consumer (``services/worker/consumer.py``:
the loop calls ``on_ready`` once it consumes, ``on_close`` before a reconnect) and the
shutdown notices it routes to logging (``services/worker/celery_logs.py``)."""

import inspect

from celery.apps import worker as celery_worker
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


def test_the_worker_says_its_shutdown_through_safe_say() -> None:
    adapter = "services/worker/celery_logs.py"
    assert callable(getattr(celery_worker, "safe_say", None)), broken(
        "celery", "celery.apps.worker.safe_say", adapter
    )
    source = inspect.getsource(celery_worker)
    assert "safe_say(f'worker: {how} shutdown" in source, broken(
        "celery", "the shutdown notices printed with safe_say", adapter
    )
