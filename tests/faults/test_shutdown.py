"""A worker stopped by SIGTERM (a deploy) hands its running task back at once."""

import os
import signal

import pytest

from tests.faults.conftest import StackFactory
from tests.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]


def test_sigterm_mid_task_hands_it_to_another_worker_at_once(fault_stack: StackFactory) -> None:
    # A visibility timeout of 10 minutes: a task handed back only by it would not finish
    # within this test's waits.
    stack, probe = fault_stack(
        WORKER_CONCURRENCY="1",
        WORKER_SOFT_SHUTDOWN_TIMEOUT="1",
        TASK_SOFT_TIME_LIMIT="250",
        TASK_TIME_LIMIT="300",
        BROKER_VISIBILITY_TIMEOUT="600",
        RETRY_BACKOFF_MAX="5",
    )
    first = stack.services["worker"]
    assert first.process is not None
    [task_id] = probe.send(1, text="[[work:8]] I ran the billing platform for six years.")
    key = f"{stack.env['KEY_PREFIX']}task:{task_id}"
    wait_for(lambda: probe.r.hget(key, "status") == "STARTED", 60, "the task started")
    started_on = probe.r.hget(key, "worker")
    assert started_on == f"{os.uname().nodename}:{first.process.pid}"

    stack.start("worker")  # a second worker, idle: the first holds the only task
    second = stack.services["worker"]
    assert second.process is not None
    wait_for(lambda: _ready(stack), 60, "the second worker's /readyz")
    try:
        os.kill(first.process.pid, signal.SIGTERM)  # the main process only, as a deploy does
        assert first.process.wait(timeout=30) is not None
        wait_for(lambda: probe.r.hget(key, "status") == "SUCCESS", 45, "the task done elsewhere")
    finally:
        first.kill() if first.alive else None
    record = probe.r.hgetall(key)
    assert record["worker"] == f"{os.uname().nodename}:{second.process.pid}"
    figures = probe.report("SIGTERM worker mid-task", [task_id], "finished by the other worker")
    assert figures.lost == 0
    assert figures.duplicate_effects == 0
    assert probe.outcome_counts("STREAM_COMPLETED")[task_id] == 1
    assert probe.summary_rows([task_id]) == 1
    log = first.logs()
    assert "Cold shutdown" in log, log[-2000:]


def _ready(stack: object) -> bool:
    try:
        return stack.ops("worker").status_code == 200  # type: ignore[attr-defined, no-any-return]
    except Exception:
        return False
