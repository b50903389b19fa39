"""Redis restarts mid-run (AOF on): every process reconnects and nothing accepted is lost.
Then Redis comes back empty: the dispatcher re-creates its group and says so."""

import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

from shared.redis_server import BundledRedis, free_port
from tests.faults.conftest import StackFactory
from tests.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

N = 300


def test_redis_restart_mid_run_then_redis_back_empty(
    fault_stack: StackFactory, tmp_path: Path
) -> None:
    data = tmp_path / "redis-aof"
    server = BundledRedis(port=free_port(), data_dir=data, appendonly=True).start()
    try:
        stack, probe = fault_stack(server.url, FAKE_WORK_SECONDS="0.01")
        accepted: list[str] = []

        def produce() -> None:
            for _ in range(N):
                task_id = str(uuid.uuid4())
                while True:
                    try:
                        probe.r.xadd(probe.env["STREAM_REQUESTED"], probe.event(task_id))  # type: ignore[arg-type]
                        break
                    except redis.ConnectionError:
                        time.sleep(0.05)
                accepted.append(task_id)
                time.sleep(0.01)

        producer = threading.Thread(target=produce)
        producer.start()
        wait_for(lambda: len(accepted) >= N // 3, 30, "a third of the events accepted")
        server.stop()
        time.sleep(1.0)
        server.start()
        producer.join(timeout=60)
        probe.wait_terminal(accepted, 120, stack)
        figures = probe.report("redis restarted (AOF)", accepted)
        assert figures.lost == 0
        assert probe.statuses(accepted)["SUCCESS"] == N, probe.failures(accepted)
        assert figures.duplicate_effects == 0

        # Redis comes back with nothing: the group is re-created, readiness says so.
        server.stop()
        shutil.rmtree(data)
        server.start()
        wait_for(lambda: _data_loss_reported(stack), 30, "dispatcher readiness to report the loss")
        more = probe.send(30)
        probe.wait_terminal(more, 90, stack)
        figures = probe.report("redis back empty", more, "group re-created")
        assert probe.statuses(more)["SUCCESS"] == 30
        for name in ("dispatcher", "worker", "projector"):
            assert stack.services[name].alive, name
    finally:
        server.stop()


def _data_loss_reported(stack) -> bool:  # type: ignore[no-untyped-def]
    try:
        body = stack.ops("dispatcher").json()
    except Exception:
        return False
    return bool(body.get("redis_data_loss_detected")) and body["checks"]["consumer_group"] == "ok"
