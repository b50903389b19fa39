"""Tasks that keep failing or run too long: retried, dead-lettered, redriven."""

import itertools
import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from tests.faults.conftest import StackFactory
from tests.stack import ROOT, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]

N = 100


def test_always_failing_task_is_retried_dead_lettered_and_redriven(
    fault_stack: StackFactory,
) -> None:
    # The worker cannot open its store: every attempt fails with a transient error.
    stack, probe = fault_stack(RETRY_BACKOFF_BASE="0.5")
    good_db = stack.env["DATABASE_URL"]
    stack.services["worker"].stop()
    stack.start("worker", extra_env={"DATABASE_URL": "sqlite:////dev/null/unreachable.db"})
    ids = probe.send(N)
    probe.wait_terminal(ids, 90, stack)
    assert probe.statuses(ids)["FAILURE"] == N
    failed = probe.outcome_counts("STREAM_FAILED")
    assert all(failed[t] == 1 for t in ids), "one failure event per task"
    letters = {f["task_id"]: f for _, f in probe.r.xrange(probe.env["STREAM_TASKS_DLQ"])}
    assert set(letters) == set(ids), "one dead letter per task"
    sample = letters[ids[0]]
    assert sample["attempts"] == "4", "the first attempt and exactly RETRY_MAX=3 retries"
    assert sample["reason"].startswith("retries exhausted: ")
    chain = json.loads(sample["errors"])
    assert [c["attempt"] for c in chain] == ["1", "2", "3", "4"]
    at = [datetime.fromisoformat(c["at"]).timestamp() for c in chain]
    gaps = [b - a for a, b in itertools.pairwise(at)]
    # The delays grow: each gap is at least most of the configured 0.5, 1, 2 s. A failure's
    # time is taken when its entry is written, after the retry was scheduled, so on a busy
    # machine a gap can come out some tens of ms short of its delay. A gap may be longer
    # than the next one: a retry waits behind the other tasks' attempts queued meanwhile.
    assert all(gap >= 0.8 * 0.5 * 2**n for n, gap in enumerate(gaps)), gaps
    figures = probe.report("always failing, before fix", ids, f"gaps {[round(g, 2) for g in gaps]}")
    assert figures.duplicate_effects == 0

    # Fix the cause, redrive everything: same task ids, now SUCCESS.
    stack.services["worker"].stop()
    stack.start("worker", extra_env={"DATABASE_URL": good_db})
    redrive = subprocess.run(
        [sys.executable, "-m", "services.cli", "redrive", "submit", "--dlq", "tasks", "--all"],
        env={**os.environ, **stack.env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert redrive.returncode == 0, redrive.stderr
    assert f"{N} entries selected" in redrive.stderr
    wait_for(lambda: probe.statuses(ids)["SUCCESS"] == N, 90, "redriven tasks to succeed")
    completed = probe.outcome_counts("STREAM_COMPLETED")
    assert all(completed[t] == 1 for t in ids)
    assert probe.r.xlen(probe.env["STREAM_TASKS_DLQ"]) == 0
    figures = probe.report("always failing, redriven", ids, "same task ids", redriven=True)
    assert figures.duplicate_effects == 0


def test_soft_time_limit_fails_the_task_and_the_worker_keeps_serving(
    fault_stack: StackFactory,
) -> None:
    stack, probe = fault_stack(TASK_SOFT_TIME_LIMIT="1", TASK_TIME_LIMIT="3")
    [slow] = probe.send(1, text="[[work:2.5]] I will take too long.")
    ids = [slow, *probe.send(N)]
    probe.wait_terminal(ids, 60, stack)
    record = probe.r.hgetall(f"{probe.env['KEY_PREFIX']}task:{slow}")
    assert record["status"] == "FAILURE"
    assert record["error_type"] == "TaskTimedOut"
    assert record["error"] == "task exceeded its soft time limit of 1s"
    assert probe.statuses(ids)["SUCCESS"] == N, "the worker went on serving"
    assert stack.services["worker"].alive
    letters = [f for _, f in probe.r.xrange(probe.env["STREAM_TASKS_DLQ"])]
    assert [f["task_id"] for f in letters] == [slow]
    assert letters[0]["reason"].startswith("time limit exceeded: TaskTimedOut")
    figures = probe.report("soft time limit", ids, "1 timed out, the rest served")
    assert figures.duplicate_effects == 0
