"""Processes killed or stopped mid-run lose nothing and do nothing twice."""

import pytest

from tests.faults.conftest import StackFactory
from tests.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]

N = 300


def test_kill_9_worker_mid_run(fault_stack: StackFactory) -> None:
    stack, probe = fault_stack(FAKE_WORK_SECONDS="0.05")
    ids = probe.send(N)
    wait_for(lambda: probe.statuses(ids)["SUCCESS"] >= 40, 60, "some tasks done")
    stack.services["worker"].kill()
    done_at_kill = probe.statuses(ids)["SUCCESS"]
    stack.start("worker")
    probe.wait_terminal(ids, 120, stack)
    figures = probe.report("kill -9 worker", ids, f"killed after {done_at_kill} done")
    assert probe.statuses(ids)["SUCCESS"] == N
    assert figures.lost == 0
    assert figures.duplicate_effects == 0
    assert probe.summary_rows(ids) == N, "every summary written exactly once"


def test_kill_9_dispatcher_mid_batch(fault_stack: StackFactory) -> None:
    stack, probe = fault_stack(FAKE_WORK_SECONDS="0.01")
    ids = probe.send(N)
    wait_for(lambda: N - probe.statuses(ids)["PENDING"] >= 30, 60, "some tasks dispatched")
    stack.services["dispatcher"].kill()
    stack.start("dispatcher")
    probe.wait_terminal(ids, 120, stack)
    sends = probe.deliveries()
    twice = sum(1 for t in ids if sends[t] > 1)
    figures = probe.report("kill -9 dispatcher", ids, f"tasks delivered twice: {twice}")
    assert probe.statuses(ids)["SUCCESS"] == N
    assert figures.lost == 0
    assert figures.duplicate_effects == 0
    assert twice == 0, "a task id already sent is not sent again"


def test_projector_stopped_then_restarted(fault_stack: StackFactory) -> None:
    stack, probe = fault_stack(FAKE_WORK_SECONDS="0.01")
    first = probe.send(N // 3)
    wait_for(lambda: probe.statuses(first)["SUCCESS"] >= 10, 60, "some tasks done")
    stack.services["projector"].kill()
    ids = first + probe.send(N - len(first))
    wait_for(lambda: len(probe.deliveries()) >= N, 60, "the worker to start every task while down")
    stack.start("projector")
    probe.wait_terminal(ids, 120, stack)
    completed = probe.outcome_counts("STREAM_COMPLETED")
    figures = probe.report("projector down, restarted", ids)
    assert probe.statuses(ids)["SUCCESS"] == N
    assert all(completed[t] == 1 for t in ids), "exactly one completion event per task"
    assert figures.duplicate_effects == 0


def test_two_projector_replicas_publish_each_outcome_once(fault_stack: StackFactory) -> None:
    from tests.stack import Service

    stack, probe = fault_stack(FAKE_WORK_SECONDS="0.005")
    env = {**stack.env, "OPS_PORT": "0"}
    second = Service("projector", env, stack.log_dir / "projector-2.log").start()
    stack.services["projector-2"] = second
    ids = probe.send(N)
    probe.wait_terminal(ids, 90, stack)
    completed = probe.outcome_counts("STREAM_COMPLETED")
    figures = probe.report("two projector replicas", ids)
    assert all(completed[t] == 1 for t in ids), "exactly one completion event per task"
    assert figures.duplicate_effects == 0
    assert second.alive
